/**
 * @module The session tools' view of the gateway (`sessions_list`, `sessions_send`,
 * `session_status`, `agents_list`). A session waiting on another's answer is remembered, so a
 * wait that would close a cycle (A waits on B, B on A) is refused instead of hanging.
 */

import type { Config } from "../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type {
  AgentSummary,
  SessionDirectory as SessionDirectoryShape,
  SessionKey,
  SessionStatusInfo,
  SessionSummary,
} from "../tools/sessions/session_services.ts";
import { listAgents, resolveAgent } from "./agents.ts";
import { costOf, priceOf } from "./pricing.ts";
import { contextWindowOf } from "./context_window.ts";
import type { SessionDelivery } from "./session_delivery.ts";
import {
  COMPACTION_LINE_PREFIX,
  isCompaction,
  type SessionStore,
} from "./sessions/session_store.ts";
import { startsWith } from "../core/jsonl_lines.ts";

/** What {@linkcode SessionDirectory} is built from. */
export interface SessionDirectoryOptions {
  config(): Config;
  sessions: SessionStore;
  /** True while a session has a run in progress or waiting. */
  isActive(agentId: string, sessionId: string): boolean;
  delivery: SessionDelivery;
  logger: Logger;
}

const keyOf = (key: SessionKey) => `${key.agentId}/${key.sessionId}`;

export class SessionDirectory implements SessionDirectoryShape {
  #options: SessionDirectoryOptions;
  /** Caller -> the session it waits on. */
  #waits = new Map<string, string>();

  constructor(options: SessionDirectoryOptions) {
    this.#options = options;
  }

  async list(filter: { agentId?: string; limit: number }): Promise<SessionSummary[]> {
    // Newest first needs every candidate's mtime: the agent is pushed down, the limit cannot be.
    const sessions = await this.#options.sessions.list({ agentId: filter.agentId });
    return sessions.slice(0, filter.limit)
      .map((s) => ({
        agentId: s.agentId,
        sessionId: s.sessionId,
        size: s.size,
        updatedAt: s.updatedAt,
        active: this.#options.isActive(s.agentId, s.sessionId),
      }));
  }

  async send(input: {
    from: SessionKey;
    to: SessionKey;
    message: string;
    wait: boolean;
    timeoutMs: number;
    signal: AbortSignal;
  }): Promise<{ answer?: string; timedOut?: boolean }> {
    const { from, to } = input;
    resolveAgent(this.#options.config(), to.agentId);
    this.#options.sessions.file(to.agentId, to.sessionId); // validates the ids
    if (keyOf(from) === keyOf(to)) {
      throw new GatewayError(ErrorCode.INVALID_PARAMS, "That is the current session");
    }
    if (input.wait) this.#refuseCycle(from, to);
    const turn = {
      ...to,
      message: `[Message from session ${keyOf(from)}] ${input.message}`,
    };
    if (!input.wait) {
      this.#options.delivery.runTurn(turn).catch((error) =>
        this.#options.logger.warn("sessions_send turn failed", {
          from,
          to,
          error: (error as Error).message,
        })
      );
      return {};
    }
    // The caller gave up (its own run was aborted): the turn it waits for stops too.
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    input.signal.addEventListener("abort", onAbort, { once: true });
    this.#waits.set(keyOf(from), keyOf(to));
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<{ timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), input.timeoutMs);
      });
      const answer = this.#options.delivery.runTurn(turn, controller.signal)
        .then((text) => ({ answer: text }));
      answer.catch(() => {}); // a failure after a timeout is logged by nobody else
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      input.signal.removeEventListener("abort", onAbort);
      this.#waits.delete(keyOf(from));
    }
  }

  #refuseCycle(from: SessionKey, to: SessionKey): void {
    const start = keyOf(from);
    for (let at: string | undefined = keyOf(to); at; at = this.#waits.get(at)) {
      if (at === start) {
        throw new GatewayError(
          ErrorCode.INVALID_PARAMS,
          `Session ${keyOf(to)} is waiting on this session; waiting for it would never end`,
        );
      }
    }
  }

  async status(key: SessionKey): Promise<SessionStatusInfo> {
    const config = this.#options.config();
    const { agentId, sessionId } = key;
    const tokens = { prompt: 0, completion: 0, total: 0 };
    let cost: number | null = 0;
    let last: { model: string; provider: string; tokens: number } | undefined;
    let messages = 0;
    let updatedAt: string | null = null;
    // Newest first, parsing only the newest line, compaction lines and lines with a usage key
    // (a tool's output, however large, is counted without being parsed). Compacted turns stay
    // in the file and count: their tokens were spent too.
    let newest = true;
    const lines = this.#options.sessions.scanBackward(agentId, sessionId, (line) => {
      const parse = newest || startsWith(line, COMPACTION_LINE_PREFIX) || includes(line, USAGE);
      newest = false;
      return parse;
    });
    for await (const { entry } of lines) {
      if (entry && isCompaction(entry)) continue;
      messages++;
      if (!entry) continue;
      updatedAt ??= entry.time ?? null;
      if (entry.role !== "assistant" || !entry.usage) continue;
      const { usage } = entry;
      tokens.prompt += usage.promptTokens;
      tokens.completion += usage.completionTokens;
      tokens.total += usage.totalTokens;
      const price = priceOf(
        entry.model ?? "",
        modelEntry(config, entry.provider, entry.model)?.cost,
      );
      const spent = costOf(usage, price);
      cost = spent === undefined || cost === null ? null : cost + spent;
      // The newest model turn tells how full the context is now.
      last ??= {
        provider: entry.provider ?? "",
        model: entry.model ?? "",
        tokens: usage.promptTokens + usage.completionTokens,
      };
    }
    const configured = resolveAgent(config, agentId).model ?? null;
    const window = last ? contextWindowOf(config, last.provider, last.model) : undefined;
    const used = last?.tokens ?? 0;
    return {
      ...key,
      model: last ? `${last.provider}/${last.model}` : configured,
      messages,
      tokens,
      cost: tokens.total === 0 ? 0 : cost,
      now: new Date().toISOString(),
      startedAt: messages ? await this.#firstTime(key) : null,
      updatedAt,
      context: {
        tokens: used,
        window: window ?? null,
        percent: window ? Math.round((used / window) * 1000) / 10 : null,
      },
    };
  }

  /** The time of a session's first message: its first line that is not a compaction. */
  async #firstTime(key: SessionKey): Promise<string | null> {
    for await (const { entry } of this.#options.sessions.forward(key.agentId, key.sessionId, 0)) {
      if (!isCompaction(entry)) return entry.time ?? null;
    }
    return null;
  }

  async agents(): Promise<AgentSummary[]> {
    return await Promise.all(
      listAgents(this.#options.config()).map(async (agent) => ({
        id: agent.id,
        name: agent.name,
        model: agent.model ?? null,
        sessions: await this.#options.sessions.count(agent.id),
      })),
    );
  }
}

function modelEntry(config: Config, provider?: string, model?: string) {
  if (!provider || !model) return undefined;
  return config.models.providers[provider]?.models?.find((entry) => entry.id === model);
}

/** A usage key as JSON writes it; inside a JSON string its quotes would be escaped. */
const USAGE = new TextEncoder().encode('"usage":{');

function includes(line: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= line.length; i++) {
    for (let j = 0; j < needle.length; j++) if (line[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
