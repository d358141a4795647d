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
import type { SessionStore } from "./sessions/session_store.ts";
import { importLazily, loadOnce } from "../core/lazy_module.ts";

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
  /**
   * Each session's counts, kept from one `session_status` to the next; its module loads with the
   * first `session_status`, not at start.
   */
  #totals = loadOnce(async () => {
    const { SessionTotals } = await importLazily<typeof import("./_session_totals.ts")>(
      new URL("./_session_totals.ts", import.meta.url),
    );
    return new SessionTotals(this.#options.sessions);
  });

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
    const counts = await (await this.#totals()).count(agentId, sessionId);
    const { messages, updatedAt, last } = counts;
    const tokens = { prompt: 0, completion: 0, total: 0 };
    let cost: number | null = 0;
    // Compacted turns stay in the file and count: their tokens were spent too.
    for (const spent of counts.byModel.values()) {
      tokens.prompt += spent.promptTokens;
      tokens.completion += spent.completionTokens;
      tokens.total += spent.totalTokens;
      const price = priceOf(
        spent.model ?? "",
        modelEntry(config, spent.provider, spent.model)?.cost,
      );
      const amount = costOf(spent, price);
      cost = amount === undefined || cost === null ? null : cost + amount;
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
      startedAt: messages ? counts.startedAt ?? null : null,
      updatedAt,
      context: {
        tokens: used,
        window: window ?? null,
        percent: window ? Math.round((used / window) * 1000) / 10 : null,
      },
    };
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
