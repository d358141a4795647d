/**
 * @module Sub-agents: tasks a session hands to an agent running in a session of its own
 * (`subagent-<id>`), in the background. When one finishes, its result is announced to the
 * parent session as a turn there, so the parent agent reads it and tells its user. Limits come
 * from `agents.defaults.subagents`; an abort of the parent (its run, or `chat.abort` on its
 * session) kills its children, and theirs in turn.
 */

import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type {
  SessionKey,
  SubagentControl,
  SubagentInfo,
} from "../tools/sessions/session_services.ts";
import type { ChatOutcome, ChatRunOptions } from "./chat_service.ts";
import type { AgentRunRequest } from "./run.ts";
import type { StopReason } from "./run_types.ts";
import { stopNote } from "./turn_runner.ts";
import type { SessionDelivery } from "./session_delivery.ts";

/** Config `agents.defaults.subagents`. */
export interface SubagentSettings {
  /** How deep sub-agents may nest; 1 means a sub-agent cannot spawn its own. */
  maxSpawnDepth: number;
  /** Running children one session may have. */
  maxChildrenPerAgent: number;
  /** Running sub-agents in the whole gateway. */
  maxConcurrent: number;
}

/** The part of the chat service sub-agents use. */
export interface SubagentChat {
  run(request: AgentRunRequest, options?: ChatRunOptions): Promise<ChatOutcome>;
  check(request: AgentRunRequest): void;
  abort(agentId: string, sessionId: string): boolean;
  onAbort(listener: (agentId: string, sessionId: string) => boolean): () => void;
}

/** What {@linkcode SubagentRegistry} is built from. */
export interface SubagentRegistryOptions {
  chat: SubagentChat;
  delivery: Pick<SessionDelivery, "runTurn">;
  settings(): SubagentSettings;
  logger: Logger;
}

interface Child {
  info: SubagentInfo;
  model?: string;
  controller: AbortController;
  /** Bumped by each steer, so the run it replaced ends without a report. */
  generation: number;
  run: Promise<void>;
  detach(): void;
}

const keyOf = (key: SessionKey) => `${key.agentId}/${key.sessionId}`;
const PREVIEW_CHARS = 200;
const REPORT_CHARS = 20_000;
/** Finished sub-agents kept for `subagents list`. */
const KEEP_FINISHED = 50;

export class SubagentRegistry implements SubagentControl {
  #options: SubagentRegistryOptions;
  #children = new Map<string, Child>();
  #reports = new Set<Promise<unknown>>();
  #unsubscribe: (() => void) | undefined;

  constructor(options: SubagentRegistryOptions) {
    this.#options = options;
  }

  /** Follows `chat.abort`: a session's abort kills its running children. */
  start(): void {
    this.#unsubscribe ??= this.#options.chat.onAbort((agentId, sessionId) =>
      this.#killChildrenOf({ agentId, sessionId })
    );
  }

  /** Kills every running sub-agent and waits for the runs and reports to end. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const child of this.#children.values()) {
      if (child.info.state === "running") this.#kill(child);
    }
    await Promise.allSettled([...this.#children.values()].map((child) => child.run));
    await Promise.allSettled([...this.#reports]);
  }

  spawn(input: {
    parent: SessionKey;
    prompt: string;
    agentId?: string;
    label?: string;
    model?: string;
    signal: AbortSignal;
  }): SubagentInfo {
    const { parent } = input;
    const limits = this.#options.settings();
    const depth = (this.#children.get(keyOf(parent))?.info.depth ?? 0) + 1;
    const running = [...this.#children.values()].filter((c) => c.info.state === "running");
    if (depth > limits.maxSpawnDepth) {
      throw limit(`Sub-agents may nest ${limits.maxSpawnDepth} deep`, "maxSpawnDepth");
    }
    const siblings = running.filter((c) => keyOf(c.info.parent) === keyOf(parent)).length;
    if (siblings >= limits.maxChildrenPerAgent) {
      throw limit(
        `This session already has ${siblings} running sub-agents`,
        "maxChildrenPerAgent",
      );
    }
    if (running.length >= limits.maxConcurrent) {
      throw limit(`${running.length} sub-agents are running`, "maxConcurrent");
    }
    if (input.signal.aborted) throw new GatewayError(ErrorCode.ABORTED, "The run was aborted");
    const agentId = input.agentId ?? parent.agentId;
    const sessionId = `subagent-${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`;
    this.#options.chat.check({ agentId, sessionId, message: input.prompt, model: input.model });
    const info: SubagentInfo = {
      agentId,
      sessionId,
      ...(input.label ? { label: input.label } : {}),
      parent: { ...parent },
      depth,
      state: "running",
      startedAt: new Date().toISOString(),
    };
    const kill = () => this.#kill(child);
    input.signal.addEventListener("abort", kill, { once: true });
    const child: Child = {
      info,
      model: input.model,
      controller: new AbortController(),
      generation: 0,
      run: Promise.resolve(),
      detach: () => input.signal.removeEventListener("abort", kill),
    };
    this.#children.set(keyOf(info), child);
    // The child cannot ask back: it should finish alone, and know its answer is its report.
    this.#launch(
      child,
      `[Task from session ${keyOf(parent)}. You are a sub-agent: work on it on your own; ` +
        `your final answer is sent back to that session.]\n${input.prompt}`,
    );
    this.#options.logger.info("sub-agent started", { parent, agentId, sessionId, depth });
    return { ...info };
  }

  list(parent: SessionKey): SubagentInfo[] {
    return [...this.#children.values()]
      .filter((child) => keyOf(child.info.parent) === keyOf(parent))
      .map((child) => ({ ...child.info }))
      .sort((a, b) => Number(b.state === "running") - Number(a.state === "running"));
  }

  kill(parent: SessionKey, id: string): SubagentInfo {
    const child = this.#childOf(parent, id);
    this.#kill(child);
    return { ...child.info };
  }

  steer(parent: SessionKey, id: string, instruction: string): SubagentInfo {
    const child = this.#childOf(parent, id);
    if (child.info.state !== "running") {
      throw new GatewayError(ErrorCode.INVALID_PARAMS, `Sub-agent ${id} is ${child.info.state}`);
    }
    child.controller.abort();
    this.#launch(child, `[New instruction from the parent session] ${instruction}`);
    return { ...child.info };
  }

  #childOf(parent: SessionKey, id: string): Child {
    const child = [...this.#children.values()].find((c) =>
      c.info.sessionId === id && keyOf(c.info.parent) === keyOf(parent)
    );
    if (!child) throw new GatewayError(ErrorCode.NOT_FOUND, `No sub-agent ${id} of this session`);
    return child;
  }

  #launch(child: Child, message: string): void {
    const generation = ++child.generation;
    const controller = new AbortController();
    child.controller = controller;
    const { agentId, sessionId } = child.info;
    child.run = this.#options.chat.run({ agentId, sessionId, message, model: child.model }, {
      signal: controller.signal,
    }).then(
      (outcome) => {
        if (child.generation === generation) this.#finish(child, outcome);
      },
      (error) => {
        if (child.generation !== generation) return;
        this.#finish(child, { aborted: false, text: "", error: { message: String(error) } });
      },
    );
  }

  #finish(
    child: Child,
    outcome: {
      aborted: boolean;
      text: string;
      error?: { message: string };
      stopReason?: StopReason;
    },
  ): void {
    const { info } = child;
    child.detach();
    if (info.state !== "running") return;
    info.state = outcome.aborted ? "killed" : outcome.error ? "failed" : "completed";
    info.endedAt = new Date().toISOString();
    // A child that stopped with tool calls not run says so, or its parent takes a cut-short
    // answer (or none) for a finished one; first, so that a long answer's cut keeps it.
    const note = outcome.stopReason ? stopNote(outcome.stopReason) : "";
    const result = outcome.error?.message ??
      [note, outcome.text.trim()].filter(Boolean).join("\n\n");
    if (result) info.preview = result.slice(0, PREVIEW_CHARS);
    this.#options.logger.info("sub-agent ended", { sessionId: info.sessionId, state: info.state });
    this.#forgetOld();
    // A killed child reports nothing: whoever killed it (often the user, through the parent's
    // abort) does not want a new parent turn.
    if (info.state !== "killed") this.#report(info, result);
  }

  #report(info: SubagentInfo, result: string): void {
    const name = info.label ? `"${info.label}" (${info.sessionId})` : info.sessionId;
    const body = result.length > REPORT_CHARS
      ? `${result.slice(0, REPORT_CHARS)}\n[\u2026 ${result.length - REPORT_CHARS} characters cut]`
      : result || "(no answer)";
    const message = info.state === "completed"
      ? `[Sub-agent ${name} finished. Its result:]\n${body}`
      : `[Sub-agent ${name} failed: ${body}]`;
    const report = this.#options.delivery.runTurn({ ...info.parent, message })
      .catch((error) =>
        this.#options.logger.warn("sub-agent report failed", {
          sessionId: info.sessionId,
          error: (error as Error).message,
        })
      )
      .finally(() => this.#reports.delete(report));
    this.#reports.add(report);
  }

  #kill(child: Child): boolean {
    if (child.info.state !== "running") return false;
    child.info.state = "killed";
    child.info.endedAt = new Date().toISOString();
    child.detach();
    child.controller.abort();
    // Through the chat service, so the child's own children are killed in turn.
    this.#options.chat.abort(child.info.agentId, child.info.sessionId);
    return true;
  }

  #killChildrenOf(parent: SessionKey): boolean {
    let killed = false;
    for (const child of this.#children.values()) {
      if (keyOf(child.info.parent) === keyOf(parent) && this.#kill(child)) killed = true;
    }
    return killed;
  }

  #forgetOld(): void {
    const finished = [...this.#children.entries()].filter(([, c]) => c.info.state !== "running");
    for (const [key] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.#children.delete(key);
    }
  }
}

function limit(what: string, key: string): GatewayError {
  return new GatewayError(
    ErrorCode.INVALID_PARAMS,
    `${what}: the limit agents.defaults.subagents.${key} is reached`,
  );
}
