/**
 * @module Runs chats on sessions: one run at a time per session (later ones wait, or abort the
 * earlier with `abortPrevious`), each run's events handed to the runtime's sink for the session's
 * clients, and abort.
 */

import { ErrorCode, GatewayError } from "../core/errors.ts";
import { importLazily, loadOnce } from "../core/lazy_module.ts";
import type { AgentEvent, AgentRunDeps, AgentRunRequest } from "./run_types.ts";
import { prepareRun } from "./run_prepare.ts";
import type { SessionPage } from "./sessions/session_store.ts";
import type { CompactResult } from "./compaction.ts";
import { contextBudget } from "./context_window.ts";
import type { Usage } from "./providers/types.ts";

// The run loop (with the turn's input, context, compaction, memory flush and tool calls: ~11
// modules) loads with the first turn, resend or compaction: an idle gateway keeps none of it
// (issue 17). The promise is kept, so later turns wait on nothing.
const loadRunLoop = loadOnce(() =>
  importLazily<typeof import("./run.ts")>(new URL("./run.ts", import.meta.url))
);
const loadTurnInput = loadOnce(() =>
  importLazily<typeof import("./turn_input.ts")>(new URL("./turn_input.ts", import.meta.url))
);
const loadTurnContext = loadOnce(() =>
  importLazily<typeof import("./turn_context.ts")>(new URL("./turn_context.ts", import.meta.url))
);

/** How a run ended, as `chat.send` answers and other callers (cron, channels, HTTP) read it. */
export interface ChatOutcome {
  completed: boolean;
  aborted: boolean;
  /** The final answer's text (partial when aborted). */
  text: string;
  usage: Usage;
  provider: string;
  model: string;
  error?: { code: ErrorCode; message: string; retryAfterMs?: number };
}

/**
 * What the chat service needs: the run loop's deps, whose `onRunEvent` also receives every event
 * of every run (the gateway shapes them into `chat.*` events for the session's clients).
 */
export type ChatServiceDeps = AgentRunDeps;

/** Options of {@linkcode ChatService.run}. */
export interface ChatRunOptions {
  /** Abort the session's running and queued runs first. */
  abortPrevious?: boolean;
  /** Aborts this run (e.g. the client disconnected). */
  signal?: AbortSignal;
  /** Sees every event of this run as it happens (the HTTP API streams from here). */
  onEvent?(event: AgentEvent): void;
}

interface SessionQueue {
  tail: Promise<unknown>;
  controllers: Set<AbortController>;
}

/** A compaction asked for by hand (`sessions.compact`), which an abort of its session stops. */
interface HandCompaction {
  controller: AbortController;
  done: Promise<unknown>;
}

/** The gateway's chat runner. */
export class ChatService {
  #deps: ChatServiceDeps;
  #queues = new Map<string, SessionQueue>();
  #compactions = new Map<string, Set<HandCompaction>>();
  #abortListeners = new Set<(agentId: string, sessionId: string) => boolean>();

  constructor(deps: ChatServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Runs one turn on a session once the runs before it have finished.
   *
   * @throws {GatewayError} before anything runs: NOT_FOUND (agent, model, or a session with no
   * message to resend or edit), INVALID_PARAMS (bad message or ids)
   */
  async run(request: AgentRunRequest, options: ChatRunOptions = {}): Promise<ChatOutcome> {
    const prepared = prepareRun(this.#deps, request);
    const { agentId, sessionId } = request;
    // Validates the ids; a session this store did not write last is looked at on disk (a link
    // out of the state dir is refused before anything reads or writes through it).
    const checking = this.#deps.sessions.check(agentId, sessionId);
    if (checking) await checking;
    if (request.mode === "resend" || request.mode === "edit") {
      const { lastUserMessage } = await loadTurnInput();
      if (!(await lastUserMessage(this.#deps.sessions, agentId, sessionId))) {
        throw new GatewayError(
          ErrorCode.NOT_FOUND,
          `Session ${agentId}/${sessionId} has no user message to ${request.mode}`,
        );
      }
    }
    const key = `${agentId}/${sessionId}`;
    const waiting = this.#queues.get(key);
    // The message's append checks the file with a stat: started now, it runs while the turn is
    // prepared. A session with a run in progress appends later, and stats then.
    if (!waiting && (request.mode ?? "send") === "send") {
      this.#deps.sessions.prepareAppend(agentId, sessionId);
    }
    const queue = waiting ?? { tail: Promise.resolve(), controllers: new Set() };
    this.#queues.set(key, queue);
    if (options.abortPrevious) { for (const controller of queue.controllers) controller.abort(); }
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    queue.controllers.add(controller);
    const execute = () =>
      this.#execute({ ...prepared, request: { ...request, signal: controller.signal } }, options);
    // A session with nothing running starts at once; otherwise after the runs before it.
    const turn = waiting ? queue.tail.catch(() => {}).then(execute) : execute();
    queue.tail = turn;
    try {
      return await turn;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      queue.controllers.delete(controller);
      if (queue.tail === turn && queue.controllers.size === 0) this.#queues.delete(key);
    }
  }

  async #execute(
    prepared: ReturnType<typeof prepareRun>,
    options: ChatRunOptions,
  ): Promise<ChatOutcome> {
    const { agentId, sessionId } = prepared.request;
    // One object for the whole run: the sink sees it with every event.
    const session = { sessionId, agentId };
    const outcome: ChatOutcome = {
      completed: false,
      aborted: false,
      text: "",
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      provider: prepared.resolved.providerId,
      model: prepared.resolved.model,
    };
    if (prepared.request.signal?.aborted) {
      // Aborted while waiting for the session: nothing ran, nothing was written.
      outcome.aborted = true;
      this.#deps.onRunEvent?.(session, {
        type: "done",
        usage: outcome.usage,
        text: "",
        aborted: true,
      });
      return outcome;
    }
    const { runAgent } = await loadRunLoop();
    const { onEvent } = options;
    const sink = this.#deps.onRunEvent;
    await runAgent(this.#deps, prepared, (event) => {
      onEvent?.(event);
      sink?.(session, event);
      if (event.type === "done") {
        Object.assign(outcome, {
          completed: !event.aborted,
          aborted: event.aborted,
          text: event.text,
          usage: event.usage,
        });
      } else if (event.type === "error") {
        Object.assign(outcome, { text: event.text, error: event.error });
      }
    });
    return outcome;
  }

  /**
   * Checks a request as `run` would before it runs anything, for callers that run it in the
   * background and must report a bad agent or model at once.
   *
   * @throws {GatewayError} NOT_FOUND or INVALID_PARAMS, as `run`
   */
  check(request: AgentRunRequest): void {
    prepareRun(this.#deps, request);
    this.#deps.sessions.file(request.agentId, request.sessionId);
  }

  /**
   * Aborts a session's running and queued runs, and whatever the abort listeners stop with it
   * (its sub-agents); true when something was stopped.
   */
  abort(agentId: string, sessionId: string): boolean {
    let stopped = false;
    const key = `${agentId}/${sessionId}`;
    const queue = this.#queues.get(key);
    for (const controller of queue?.controllers ?? []) {
      controller.abort();
      stopped = true;
    }
    for (const compaction of this.#compactions.get(key) ?? []) {
      compaction.controller.abort();
      stopped = true;
    }
    for (const listener of this.#abortListeners) {
      if (listener(agentId, sessionId)) stopped = true;
    }
    return stopped;
  }

  /**
   * Aborts a session as {@linkcode abort} does and resolves once its runs and compactions have
   * ended, their last lines (a partial answer, a tool's result) written: whoever empties,
   * deletes or rewrites the file next finds nothing left to write into it. True when something
   * was stopped.
   */
  async stop(agentId: string, sessionId: string): Promise<boolean> {
    const stopped = this.abort(agentId, sessionId);
    const key = `${agentId}/${sessionId}`;
    await Promise.all([
      this.#queues.get(key)?.tail.catch(() => {}),
      ...[...this.#compactions.get(key) ?? []].map((compaction) => compaction.done),
    ]);
    return stopped;
  }

  /**
   * Calls `listener` on every {@linkcode abort}; it returns true when it stopped something.
   * Returns the function that removes it.
   */
  onAbort(listener: (agentId: string, sessionId: string) => boolean): () => void {
    this.#abortListeners.add(listener);
    return () => this.#abortListeners.delete(listener);
  }

  /** True while any session has a run in progress or waiting. */
  get hasRuns(): boolean {
    return this.#queues.size > 0;
  }

  /** True while a session has a run in progress or waiting. */
  isActive(agentId: string, sessionId: string): boolean {
    return (this.#queues.get(`${agentId}/${sessionId}`)?.controllers.size ?? 0) > 0;
  }

  /**
   * A page of a session's messages (compaction entries included), newest last.
   *
   * @throws {GatewayError} NOT_FOUND when the session has no file; INVALID_PARAMS for a bad
   * cursor
   */
  async history(
    agentId: string,
    sessionId: string,
    options: { limit: number; cursor?: string } = { limit: 200 },
  ): Promise<SessionPage> {
    const path = this.#deps.sessions.file(agentId, sessionId);
    if (!(await this.#deps.sessions.exists(agentId, sessionId))) {
      throw new GatewayError(ErrorCode.NOT_FOUND, `Session not found: ${agentId}/${sessionId}`);
    }
    return await this.#deps.sessions.page(path, options.limit, options.cursor);
  }

  /**
   * Compacts a session now with its agent's model, whether or not it still fits; a compaction
   * already running for it is joined, not repeated.
   *
   * @throws {GatewayError} NOT_FOUND for an unknown agent or model; the provider's error as a
   * turn reports it (RATE_LIMITED with `retryAfterMs`, the provider's message) when the summary
   * fails, ABORTED when the session was aborted, reset or deleted meanwhile (the session is
   * then unchanged)
   */
  async compact(agentId: string, sessionId: string, signal?: AbortSignal): Promise<CompactResult> {
    const prepared = prepareRun(this.#deps, { agentId, sessionId });
    const budget = contextBudget(prepared.resolved, this.#deps.config());
    // By hand, everything but the last turn is folded unless config asks to keep more.
    const keep = this.#deps.config().agents.defaults.compaction.keepRecentTokens ?? 0;
    const key = `${agentId}/${sessionId}`;
    const controller = new AbortController();
    const compactions = this.#compactions.get(key) ?? new Set<HandCompaction>();
    this.#compactions.set(key, compactions);
    const work = (async () => {
      const { compactorOf } = await loadTurnContext();
      return await compactorOf(this.#deps).compactByHand({
        agentId,
        sessionId,
        resolved: prepared.resolved,
        budget,
        keepTokens: keep,
        signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
      });
    })();
    const compaction = { controller, done: work.catch(() => {}) };
    compactions.add(compaction);
    try {
      return await work;
    } catch (error) {
      // Stopped by an abort of its session (chat.abort, sessions.reset or delete).
      if (controller.signal.aborted) {
        throw new GatewayError(
          ErrorCode.ABORTED,
          `The compaction of session ${key} was aborted`,
          undefined,
          { cause: error },
        );
      }
      throw error;
    } finally {
      compactions.delete(compaction);
      if (!compactions.size && this.#compactions.get(key) === compactions) {
        this.#compactions.delete(key);
      }
    }
  }

  /** Aborts every run and compaction and waits for them to end (gateway shutdown). */
  async close(): Promise<void> {
    const tails = [...this.#queues.values()].map((queue) => {
      for (const controller of queue.controllers) controller.abort();
      return queue.tail.catch(() => {});
    });
    const compactions = [...this.#compactions.values()].flatMap((set) =>
      [...set].map((compaction) => {
        compaction.controller.abort();
        return compaction.done;
      })
    );
    await Promise.all([...tails, ...compactions]);
  }
}
