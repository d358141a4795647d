/**
 * @module Where an OpenAI-compatible request goes: a provider model (`provider/model`, or a
 * bare id and its owner) streamed straight through, or an agent (`agent:<id>`) run with its
 * tools and session. Both yield provider stream events; the first one is awaited before a
 * response is committed, so upstream failures still get their HTTP status.
 */

import { DEFAULT_AGENT_ID } from "../../agent/agents.ts";
import type { AgentEvent } from "../../agent/run.ts";
import type { Attachment } from "../../agent/attachments.ts";
import { costOf, priceOf } from "../../agent/pricing.ts";
import type { ResolvedModel } from "../../agent/providers/registry.ts";
import { stopNote } from "../../agent/turn_runner.ts";
import {
  type ChatRequest,
  contentText,
  type OpenAiCompletionBody,
  type StreamEvent,
  type Usage,
  usageOf,
} from "../../agent/providers/types.ts";
import { ErrorCode, GatewayError, isGatewayError } from "../../core/errors.ts";
import { sha256Hex } from "../../core/bytes.ts";
import { join } from "../../core/path.ts";
import type { HttpContext } from "../http_routes.ts";
import { RequestError } from "./_request_error.ts";

/** The provider-independent part of a request. */
export type Turn = Omit<ChatRequest, "model" | "signal"> & {
  /** Names the session of an agent run (OpenAI's `user` field). */
  user?: string;
  /** The request field `responseFormat` came from, for a refusal. @default "response_format" */
  formatParam?: "text.format";
};

/**
 * Events pulled a read at a time (those an upstream read brought, never none; one at a time
 * where a source has no reads), and closed early with `return` (an async generator is one).
 */
export interface EventStream {
  next(): Promise<IteratorResult<StreamEvent[]>>;
  return(value?: undefined): Promise<IteratorResult<StreamEvent[]>>;
}

/** An opened stream whose first events have arrived. */
export interface OpenedStream {
  first: IteratorResult<StreamEvent[]>;
  rest: EventStream;
}

/** The prefix that addresses an agent as a model. */
export const AGENT_PREFIX = "agent:";
/** The session of agent runs whose request names no `user`. */
export const HTTP_SESSION_ID = "openai";

/**
 * Starts the stream for `model` and waits for its first event.
 *
 * @throws {GatewayError | ProviderError} unknown model (NOT_FOUND), bad request, or an upstream
 * failure before the first event
 */
export async function openModelStream(
  ctx: HttpContext,
  model: string,
  turn: Turn,
): Promise<OpenedStream> {
  const rest = model.startsWith(AGENT_PREFIX)
    ? agentStream(ctx, model.slice(AGENT_PREFIX.length) || DEFAULT_AGENT_ID, turn)
    : providerStream(ctx, model, turn);
  const first = await rest.next();
  return { first, rest };
}

/**
 * The upstream's own answer to a request that is not streamed, for a provider model whose
 * provider speaks OpenAI's wire API, with its usage as read once (recorded, and for the answer
 * passed on); undefined for the rest (agents, the other wire APIs), which
 * {@linkcode openModelStream} serves.
 *
 * @throws {GatewayError} NOT_FOUND for an unknown model (the promise rejects for the rest)
 */
export function providerCompletion(
  ctx: HttpContext,
  model: string,
  turn: Turn,
): Promise<{ answer: OpenAiCompletionBody; usage: Usage | undefined }> | undefined {
  if (model.startsWith(AGENT_PREFIX)) return undefined;
  const resolved = ctx.services.providers.resolve(model);
  if (!resolved.provider.completeOpenAi) return undefined;
  return resolved.provider.completeOpenAi({
    ...turn,
    stream: false,
    model: resolved.model,
    signal: ctx.signal,
  }).then((answer) => {
    const usage = usageOf(answer.usage);
    if (usage) recordUsage(ctx, resolved, usage);
    return { answer, usage };
  });
}

/**
 * The usage store's batches whose failure is already reported: the calls of a batch share its
 * one append (agent/usage_store.ts), so it is watched once, not once a request. A handler per
 * request lived as long as the batch (200 ms), outlived a scavenge or two and was promoted:
 * ~0.25 ms of scavenging per 200 `/v1` requests, and old space that filled (issue 17).
 */
const watchedBatches = new WeakSet<Promise<void>>();

/** Notes a call's usage and estimated cost, in the background: no answer waits for the disk. */
function recordUsage(ctx: HttpContext, resolved: ResolvedModel, usage: Usage): void {
  const cost = costOf(usage, priceOf(resolved.model, resolved.entry?.cost));
  const batch = ctx.services.usage.record({
    provider: resolved.providerId,
    model: resolved.model,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    ...(cost !== undefined ? { cost } : {}),
  });
  if (watchedBatches.has(batch)) return;
  watchedBatches.add(batch);
  batch.catch((error) => ctx.logger.error("usage record failed", { error: String(error) }));
}

function providerStream(ctx: HttpContext, model: string, turn: Turn): EventStream {
  const resolved = ctx.services.providers.resolve(model);
  const api = resolved.provider.api;
  if (api !== "openai") {
    // Local models honour a JSON format with a grammar (llamacpp.ts); Anthropic has no such mode.
    refuseUnsupported(turn, `${api} models (provider ${resolved.providerId})`, {
      parallelCalls: api === "anthropic",
      formats: api === "llamacpp",
    });
  }
  const request = { ...turn, model: resolved.model, signal: ctx.signal };
  const reads = resolved.provider.streamReads?.(request) ??
    oneByOne(resolved.provider.stream(request)[Symbol.asyncIterator]());
  const lookAt = (next: IteratorResult<StreamEvent[]>) => {
    if (next.done) return next;
    // The answer's last event (providers end with `finish`) says its usage.
    const event = next.value[next.value.length - 1];
    if (event.type === "finish" && event.usage) recordUsage(ctx, resolved, event.usage);
    return next;
  };
  // The provider's own stream with a look at each read, not a generator around it: a layer of
  // generator costs every read a few promise hops.
  return {
    next: () => reads.next().then(lookAt),
    return: (value) => reads.return(value),
  };
}

/** The events of `events` as reads of one event each. */
function oneByOne(events: AsyncIterator<StreamEvent>): EventStream {
  return {
    next: () =>
      events.next().then((next) => next.done ? next : { done: false, value: [next.value] }),
    return: async (value) => {
      await events.return?.(value);
      return { done: true, value };
    },
  };
}

/**
 * Refuses (400, naming it) the first OpenAI sampling extra of `turn` that a model other than an
 * OpenAI-wire one cannot honour: log probabilities, token biases and penalties have no
 * equivalent there, and a client that asked for them must not get an answer made without them.
 * Values that ask for nothing (`logprobs: false`, a penalty of 0, an empty `logit_bias`) pass.
 *
 * A JSON output format (`response_format`, `text.format`) is refused alike where it cannot be
 * applied: an answer that ignored it would read as the format asked for.
 *
 * @param where what cannot honour them, for the message
 * @param can.parallelCalls whether `parallel_tool_calls: false` can be honoured (Anthropic maps it)
 * @param can.formats whether a JSON output format can be honoured
 * @throws {RequestError}
 */
function refuseUnsupported(
  turn: Turn,
  where: string,
  can: { parallelCalls: boolean; formats: boolean },
): void {
  const param = turn.logprobs
    ? "logprobs"
    : turn.topLogprobs
    ? "top_logprobs"
    : turn.logitBias && Object.keys(turn.logitBias).length
    ? "logit_bias"
    : turn.presencePenalty
    ? "presence_penalty"
    : turn.frequencyPenalty
    ? "frequency_penalty"
    : !can.parallelCalls && turn.parallelToolCalls === false && turn.tools?.length
    ? "parallel_tool_calls"
    : !can.formats && turn.responseFormat && turn.responseFormat.type !== "text"
    ? turn.formatParam ?? "response_format"
    : undefined;
  if (param) {
    throw new RequestError(
      `${param} is not supported for ${where}: leave it out, or use a provider that speaks ` +
        "OpenAI's API",
      param,
    );
  }
}

/** Runs an agent turn: the last user message goes in, the agent's own tools run server-side. */
async function* agentStream(
  ctx: HttpContext,
  agentId: string,
  turn: Turn,
): AsyncGenerator<StreamEvent[]> {
  // The agent's own tools run server-side: `parallel_tool_calls` is not the client's to set.
  // Nor is the answer's format: the agent answers in its own words, between tool calls.
  refuseUnsupported(turn, `agent models (${AGENT_PREFIX}${agentId})`, {
    parallelCalls: true,
    formats: false,
  });
  const last = turn.messages.findLast((message) => message.role === "user");
  if (!last || last.role !== "user") {
    throw new GatewayError(ErrorCode.INVALID_PARAMS, "messages must contain a user message");
  }
  const attachments: Attachment[] = typeof last.content === "string"
    ? []
    : last.content.flatMap((part) =>
      part.type === "image"
        ? [{ type: "image" as const, mimeType: part.mimeType, content: part.base64 }]
        : []
    );
  // A clean user's id is found with no await once the session-id scheme's start is known.
  const sessionId = !turn.user
    ? HTTP_SESSION_ID
    : (idsSince.has(ctx.services.sessions) && cleanSessionId(turn.user)) ||
      await hashedSessionId(ctx, agentId, turn.user);
  const queue = new EventQueue<AgentEvent>();
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const running = ctx.services.chat.run({
    agentId,
    sessionId,
    message: contentText(last.content),
    attachments,
    temperature: turn.temperature,
    maxTokens: turn.maxTokens,
  }, { signal: controller.signal, onEvent: (event) => queue.push(event) })
    .then(() => queue.end(), (error) => queue.fail(error));
  try {
    // Whether any of the answer's text went out: the stop note comes after it, apart.
    let wrote = false;
    for await (const event of queue) {
      if (event.type === "delta") {
        if (event.text) wrote = true;
        yield [{ type: "text", text: event.text }];
      } else if (event.type === "done") {
        // A turn that ended with tool calls not run: an OpenAI client shows text only, so the
        // note that says why goes with the answer, as in a channel's reply (turn_runner.ts).
        if (event.stopReason) {
          const note = stopNote(event.stopReason);
          yield [{ type: "text", text: wrote ? `\n\n${note}` : note }];
        }
        // `length`: the turn ended at its token budget, or its model at its limit.
        yield [{ type: "finish", reason: event.finishReason ?? "stop", usage: event.usage }];
      } else if (event.type === "error") {
        // The provider's failure as the plain-model path reports it (_errors.ts errorBody):
        // its message, and its status (502, 504) where that is not its code's.
        throw new GatewayError(event.error.code, event.error.message, {
          ...(event.error.retryAfterMs !== undefined
            ? { retryAfterMs: event.error.retryAfterMs }
            : {}),
          ...(event.upstreamStatus !== undefined ? { upstreamStatus: event.upstreamStatus } : {}),
        });
      }
    }
  } finally {
    // A client that stopped reading stops the agent too.
    controller.abort();
    ctx.signal.removeEventListener("abort", onAbort);
    await running;
  }
}

/** A `user` that is its own session id's tail: a session file name as it is. */
const CLEAN_USER = /^[A-Za-z0-9_.:-]{1,100}$/;
/** The tail of a session id made with a hash; no clean `user` keeps its own form with it. */
const HASHED_TAIL = /-h[0-9a-f]{16}$/;

/** The session of a clean `user` (see {@linkcode sessionIdOf}), found with no await; else undefined. */
function cleanSessionId(user: string): string | undefined {
  return CLEAN_USER.test(user) && !user.includes("..") && !HASHED_TAIL.test(user)
    ? `http-${user}`
    : undefined;
}

/**
 * The session of the HTTP `user` value: `http-<user>` for a clean one (letters, digits, `_.:-`,
 * no `..`, at most 100 characters; the ids sessions had before), else its readable part and a
 * hash of the exact value, `http-<readable>-h<16 hex>`, so that values that differ only in other
 * characters (`bob@corp`, `bob corp`) or past the 100th never share a session.
 */
export async function sessionIdOf(user: string): Promise<string> {
  const clean = cleanSessionId(user);
  if (clean) return clean;
  return `http-${readablePart(user, 80)}-h${(await sha256Hex(user)).slice(0, 16)}`;
}

/** `user` as a session id may hold it: characters outside `[A-Za-z0-9_.:-]` and `..` as `_`. */
function readablePart(user: string, max: number): string {
  return user.replace(/[^A-Za-z0-9_.:-]/g, "_").replace(/\.\.+/g, "_").slice(0, max);
}

/**
 * The session id a `user` that is not clean had before hashed ids (see {@linkcode sessionIdOf}):
 * its characters outside `[A-Za-z0-9_.:-]` as `_`, cut at 100. Values that differ only there
 * shared it.
 */
export function legacySessionId(user: string): string {
  return `http-${readablePart(user, 100)}`;
}

/**
 * Per session store, the agent/session pairs of hashed ids whose legacy session was looked for
 * in this process.
 */
const adoptionChecked = new WeakMap<object, Set<string>>();
/** Most pairs remembered; past it the set starts again (a pair looked at again finds nothing). */
const MAX_ADOPTION_CHECKED = 10_000;

/** The state dir's record of when hashed session ids first ran: `{ "since": <ms> }`. */
const IDS_SINCE_FILE = "http-session-ids.json";
/** Per session store, {@linkcode IDS_SINCE_FILE}'s time, read or written once per process. */
const idsSince = new WeakMap<object, Promise<number>>();

/**
 * When this state dir's gateway first gave HTTP users hashed session ids: the start of the
 * first gateway to serve an `agent:<id>` request with a `user` since the upgrade, written once
 * and never moved forward, so that a legacy session id's file written later (a clean user's own,
 * `bob_corp`'s) is never taken for a legacy one, however often the gateway restarts. Where the
 * record cannot be read or written, no session is adopted.
 */
function hashedIdsSince(ctx: HttpContext): Promise<number> {
  const sessions = ctx.services.sessions;
  let since = idsSince.get(sessions);
  if (!since) {
    const path = join(ctx.gateway.paths.root, IDS_SINCE_FILE);
    since = recordedSince(path, ctx.gateway.startedAt).catch((error) => {
      ctx.logger.warn("openai api: no record of when session ids changed", {
        path,
        error: String(error),
      });
      return -Infinity;
    });
    idsSince.set(sessions, since);
  }
  return since;
}

/** The time `path` records, written as `startedAt` where there is none yet. */
async function recordedSince(path: string, startedAt: number): Promise<number> {
  try {
    await Deno.writeTextFile(path, `${JSON.stringify({ since: startedAt })}\n`, {
      createNew: true,
      mode: 0o600,
    });
    return startedAt;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  const since = JSON.parse(await Deno.readTextFile(path))?.since;
  if (typeof since !== "number") throw new Error(`${path} records no time`);
  return since;
}

/**
 * The session of an HTTP `user` ({@linkcode sessionIdOf}). For one that is not clean, the first
 * time it is asked in this process, the session it had before the ids were hashed
 * ({@linkcode legacySessionId}) becomes it, when it has none yet and the legacy one exists, last
 * written before hashed ids first ran ({@linkcode hashedIdsSince}): once, the first such user to
 * come back inherits it; a clean user of that id who wrote it since keeps it, restarts or not.
 */
async function hashedSessionId(ctx: HttpContext, agentId: string, user: string): Promise<string> {
  const writtenBefore = await hashedIdsSince(ctx);
  const clean = cleanSessionId(user);
  if (clean) return clean;
  const sessionId = await sessionIdOf(user);
  const sessions = ctx.services.sessions;
  let checked = adoptionChecked.get(sessions);
  if (!checked) adoptionChecked.set(sessions, checked = new Set());
  const key = `${agentId}/${sessionId}`;
  if (checked.has(key)) return sessionId;
  const legacy = legacySessionId(user);
  try {
    if (await sessions.adopt(agentId, legacy, sessionId, { writtenBefore })) {
      ctx.logger.info("openai api: a user's legacy session adopted", {
        agentId,
        from: legacy,
        to: sessionId,
      });
    }
  } catch (error) {
    // A malformed agent id: the run itself reports it.
    if (isGatewayError(error)) return sessionId;
    ctx.logger.warn("openai api: a legacy session could not be adopted", {
      agentId,
      from: legacy,
      to: sessionId,
      error: String(error),
    });
    return sessionId;
  }
  if (checked.size >= MAX_ADOPTION_CHECKED) checked.clear();
  checked.add(key);
  return sessionId;
}

/** A small unbounded async queue: the agent pushes, the HTTP stream pulls. */
class EventQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  end(): void {
    this.#done = true;
    this.#wake?.();
  }

  fail(error: unknown): void {
    this.#error = error ?? new Error("Agent run failed");
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#items.length) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#done) {
        if (this.#error) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
