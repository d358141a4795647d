/**
 * @module Runs chats on sessions: one run at a time per session (later ones wait, or abort the
 * earlier with `abortPrevious`), each run's events handed to the runtime's sink for the session's
 * clients, and abort.
 */

import { ErrorCode, GatewayError, isAbortError } from "../core/errors.ts";
import { importLazily, loadOnce } from "../core/lazy_module.ts";
import type { AgentEvent, AgentRunDeps, AgentRunRequest, StopReason } from "./run_types.ts";
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
  /** Why the answer ended with tool calls not run (see `StopReason`); absent otherwise. */
  stopReason?: StopReason;
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
  /** Settles when the session's pending reset or delete has run (see `exclusive`). */
  exclusive?: Promise<unknown>;
}

/**
 * How long a reset or delete waits for the session's aborted runs and compactions to end
 * tidily (a partial answer written) before it goes on without them; what they write later is
 * dropped (`SessionStore.beginTurn`, `appendUnlessReset`).
 */
const STOP_WAIT_MS = 2_000;

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
    const mode = request.mode ?? "send";
    const key = `${agentId}/${sessionId}`;
    const waiting = this.#queues.get(key);
    // Validates the ids before anything queues (no file is looked at).
    this.#deps.sessions.file(agentId, sessionId);
    // The message's append checks the file with a stat: started now, it runs while the turn is
    // prepared. A session with a run in progress appends later, and stats then.
    if (!waiting && mode === "send") this.#deps.sessions.prepareAppend(agentId, sessionId);
    // The session is joined before anything is awaited: arrival order is run order, and an
    // `abortPrevious` aborts exactly the runs that came before it.
    const queue = waiting ?? { tail: Promise.resolve(), controllers: new Set() };
    this.#queues.set(key, queue);
    if (options.abortPrevious) { for (const controller of queue.controllers) controller.abort(); }
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    queue.controllers.add(controller);
    const execute = () => {
      const run = { ...prepared, request: { ...request, signal: controller.signal } };
      // A session this store did not write last is looked at on disk (a link out of the state
      // dir is refused before anything reads or writes through it); one it did costs nothing.
      const checking = this.#deps.sessions.check(agentId, sessionId);
      if (!checking && mode === "send") return this.#execute(run, options);
      return (async () => {
        await checking;
        if (mode === "resend" || mode === "edit") {
          const { lastUserMessage } = await loadTurnInput();
          if (!(await lastUserMessage(this.#deps.sessions, agentId, sessionId))) {
            throw new GatewayError(
              ErrorCode.NOT_FOUND,
              `Session ${agentId}/${sessionId} has no user message to ${mode}`,
            );
          }
        }
        return await this.#execute(run, options);
      })();
    };
    // A session with nothing running starts at once; otherwise after the runs before it.
    const turn = waiting ? queue.tail.catch(() => {}).then(execute) : execute();
    queue.tail = turn;
    try {
      return await turn;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      queue.controllers.delete(controller);
      this.#release(key, queue, turn);
    }
  }

  /** Forgets a session's queue once `last` was its last step and nothing else waits. */
  #release(key: string, queue: SessionQueue, last: Promise<unknown>): void {
    if (queue.tail === last && queue.controllers.size === 0 && !queue.exclusive) {
      this.#queues.delete(key);
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
    // The runs before it have ended: this turn's writes are now the session's (and dropped if a
    // reset or delete comes during it).
    const file = this.#deps.sessions.file(agentId, sessionId);
    const generation = this.#deps.sessions.beginTurn(file);
    try {
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
          if (event.stopReason) outcome.stopReason = event.stopReason;
        } else if (event.type === "error") {
          Object.assign(outcome, { text: event.text, error: event.error });
        }
      });
    } finally {
      this.#deps.sessions.endTurn(file, generation);
    }
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
   * Runs `work` (a reset or delete of the session's file) as one step of the session's queue,
   * joined at once: what comes later (runs, compactions) waits for it. Once `check` (the
   * request's own validation) passes, the runs queued before it, its compactions and its
   * sub-agents are aborted and given up to {@linkcode STOP_WAIT_MS} to end tidily (a partial
   * answer is written before the file is emptied, not into it); then `work` runs, whether or not
   * they ended: whatever they write later is dropped by the store. Later runs still start after
   * the aborted ones have ended (one run at a time per session). Resolves with `work`'s result
   * and whether something was stopped.
   *
   * @throws what `check` or `work` throws (with `check`'s, nothing was aborted)
   */
  async exclusive<T>(
    agentId: string,
    sessionId: string,
    work: () => Promise<T>,
    check?: () => Promise<unknown>,
  ): Promise<{ stopped: boolean; result: T }> {
    const key = `${agentId}/${sessionId}`;
    const queue: SessionQueue = this.#queues.get(key) ??
      { tail: Promise.resolve(), controllers: new Set() };
    this.#queues.set(key, queue);
    const before = queue.tail.catch(() => {});
    const earlier = queue.exclusive;
    const runs = [...queue.controllers];
    const compactions = [...this.#compactions.get(key) ?? []];
    const step = (async () => {
      await earlier;
      await check?.();
      let stopped = false;
      for (const controller of [...runs, ...compactions.map((c) => c.controller)]) {
        if (!controller.signal.aborted) stopped = true;
        controller.abort();
      }
      for (const listener of this.#abortListeners) {
        if (listener(agentId, sessionId)) stopped = true;
      }
      const ended = Promise.all([before, ...compactions.map((c) => c.done)]);
      await settledWithin(ended, STOP_WAIT_MS);
      return { stopped, result: await work() };
    })();
    const done = step.catch(() => {});
    queue.exclusive = done;
    const tail = Promise.all([before, done]);
    queue.tail = tail;
    try {
      return await step;
    } finally {
      if (queue.exclusive === done) delete queue.exclusive;
      // Forgotten once the runs it waited for have ended too, if nothing joined meanwhile.
      tail.then(() => this.#release(key, queue, tail));
    }
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
    // A reset or delete under way goes first: the compaction then sees the emptied session.
    const exclusive = this.#queues.get(key)?.exclusive;
    if (exclusive) await exclusive;
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
      // Stopped by an abort of its session (chat.abort, sessions.reset or delete), or the
      // compaction it joined was.
      if (controller.signal.aborted || isAbortError(error)) {
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

/** Waits for `work` to settle, or `ms` at most. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}
