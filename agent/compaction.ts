/**
 * @module Compaction: when a session's history no longer fits the model, the model summarises
 * the older turns and the summary is appended as one `compaction` line; later turns start from
 * it. The raw lines stay on disk, nothing is dropped unsaid. One compaction at a time per
 * session; the line is written only once the summary is whole, so an abort or a crash leaves
 * the session as it was.
 */

import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { MethodResult } from "../core/protocol/methods.ts";
import { type ContextBudget, estimateTextTokens } from "./context_window.ts";
import { estimateStoredTokens } from "./session_context.ts";
import { summaryRequest, transcriptLine } from "./_compaction_transcript.ts";
import type { ResolvedModel } from "./providers/registry.ts";
import { isProviderError, type Usage } from "./providers/types.ts";
import { gatewayCodeOf } from "./providers/errors.ts";
import { startsWith } from "../core/bytes.ts";
import {
  COMPACTION_LINE_PREFIX,
  type CompactionEntry,
  isCompaction,
  type SessionStore,
} from "./sessions/session_store.ts";

/** What compaction needs. */
export interface CompactionDeps {
  sessions: SessionStore;
  logger: Logger;
  /** Called with each summary call's usage (so it counts in `usage.get`). */
  onUsage?(usage: Usage, resolved: ResolvedModel): void | Promise<void>;
}

/** One compaction to run. */
export interface CompactRequest {
  agentId: string;
  sessionId: string;
  /** The model that writes the summary. */
  resolved: ResolvedModel;
  budget: ContextBudget;
  /** Recent tokens kept verbatim after the summary. @default a quarter of the prompt budget */
  keepTokens?: number;
  signal?: AbortSignal;
  /** Runs first (the memory flush): the agent may save durable notes before turns fold. */
  beforeCompact?(): Promise<unknown>;
}

/** How a compaction went. */
export interface CompactResult {
  compacted: boolean;
  /** Why nothing was compacted. */
  reason?: string;
  entry?: CompactionEntry;
}

/** The `sessions.compact` answer: the RPC method and the local CLI give the same. */
export function compactionReport(
  path: string,
  result: CompactResult,
): MethodResult<"sessions.compact"> {
  const { entry } = result;
  return {
    compacted: result.compacted,
    path,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(entry
      ? {
        summary: entry.content,
        messagesCompacted: entry.messagesCompacted,
        tokensBefore: entry.tokensBefore,
        tokensAfter: entry.tokensAfter,
      }
      : {}),
  };
}

/** Runs compactions, at most one per session at a time. */
export class SessionCompactor {
  #deps: CompactionDeps;
  #running = new Map<string, Promise<CompactResult>>();

  constructor(deps: CompactionDeps) {
    this.#deps = deps;
  }

  /** True while a session is being compacted. */
  isRunning(agentId: string, sessionId: string): boolean {
    return this.#running.has(`${agentId}/${sessionId}`);
  }

  /**
   * Compacts a session. A call while one runs for the same session waits for it and gets its
   * result, so two never run at once.
   *
   * @throws the provider's error, or an abort (ABORTED also when the session was reset or
   * deleted meanwhile: the summary is then not written); the session is then unchanged
   */
  compact(request: CompactRequest): Promise<CompactResult> {
    const key = `${request.agentId}/${request.sessionId}`;
    const running = this.#running.get(key);
    if (running) return running;
    const run = this.#compact(request).finally(() => this.#running.delete(key));
    this.#running.set(key, run);
    return run;
  }

  /**
   * Compacts like {@linkcode compact}, for a client that asked (`sessions.compact`): a provider's
   * failure is thrown as the error a turn reports it with (`RATE_LIMITED` with `retryAfterMs`,
   * the provider's message), not as an internal one. A turn's own compaction keeps the
   * provider's error, whose kind sets the HTTP status of the API's answer.
   *
   * @throws {GatewayError} for a provider's failure; an abort (its own or that of the
   * compaction it joined) as it came, which `ChatService.compact` reports as ABORTED
   */
  async compactByHand(request: CompactRequest): Promise<CompactResult> {
    try {
      return await this.compact(request);
    } catch (error) {
      // An abort (also of the compaction this one joined: a provider error named AbortError)
      // goes on as it came; ChatService.compact makes it ABORTED.
      if (!isProviderError(error) || error.kind === "aborted") throw error;
      const { code, message, retryAfterMs } = gatewayCodeOf(error);
      throw new GatewayError(
        code,
        message,
        retryAfterMs !== undefined ? { retryAfterMs } : undefined,
        { cause: error },
      );
    }
  }

  async #compact(request: CompactRequest): Promise<CompactResult> {
    const { sessions } = this.#deps;
    const { agentId, sessionId, budget, signal } = request;
    const keepTokens = request.keepTokens ?? Math.floor(budget.prompt / 4);
    // A reset or delete while the summary is written makes it a summary of nothing there.
    const generation = sessions.generation(agentId, sessionId);
    // Walk back: choose the oldest user message that keeps at most `keepTokens` verbatim
    // (at least the last turn), then find the newest summary and where its cover ends.
    let keptFrom: number | undefined;
    let keptTokens = 0;
    let olderTokens = 0;
    let pending = 0; // tokens since the last user message seen, not yet kept or folded
    let keeping = true;
    let previous: CompactionEntry | undefined;
    let previousTokens = 0;
    // Past the kept turns only compaction lines are parsed: a legacy file of 20,000 messages
    // is then scanned without parsing (or keeping) what the forward pass will read anyway.
    const lines = sessions.scanBackward(
      agentId,
      sessionId,
      (line) => keeping || startsWith(line, COMPACTION_LINE_PREFIX),
    );
    for await (const { offset, end, entry } of lines) {
      if (previous && offset < previous.keptFrom) break;
      if (!entry) {
        olderTokens += Math.ceil((end - offset) / 4);
        continue;
      }
      if (isCompaction(entry)) {
        if (!previous) {
          previous = entry;
          previousTokens = estimateTextTokens(entry.content);
        }
        if (keptFrom !== undefined && previous.keptFrom >= keptFrom) break;
        continue;
      }
      const tokens = estimateStoredTokens(entry);
      if (!keeping) {
        olderTokens += tokens;
        continue;
      }
      pending += tokens;
      if (entry.role !== "user") continue;
      if (keptFrom === undefined || keptTokens + pending <= keepTokens) {
        keptTokens += pending;
        keptFrom = offset;
      } else {
        keeping = false;
        olderTokens += pending;
      }
      pending = 0;
    }
    olderTokens += pending;
    const rangeStart = previous?.keptFrom ?? 0;
    if (keptFrom === undefined || keptFrom <= rangeStart) {
      return { compacted: false, reason: "Nothing older than the last turn to compact" };
    }
    await request.beforeCompact?.();
    signal?.throwIfAborted();
    const { summary, count } = await this.#summarise(
      request,
      previous?.content,
      rangeStart,
      keptFrom,
    );
    signal?.throwIfAborted();
    const entry: CompactionEntry = {
      role: "compaction",
      content: summary,
      time: new Date().toISOString(),
      keptFrom,
      compactedFrom: rangeStart,
      messagesCompacted: count,
      tokensBefore: previousTokens + olderTokens + keptTokens,
      tokensAfter: estimateTextTokens(summary) + keptTokens,
      provider: request.resolved.providerId,
      model: request.resolved.model,
    };
    if ((await sessions.appendUnlessReset(agentId, sessionId, generation, entry)) === undefined) {
      throw new GatewayError(
        ErrorCode.ABORTED,
        `Session ${agentId}/${sessionId} was reset or deleted while it was compacted`,
      );
    }
    this.#deps.logger.info("session compacted", {
      agentId,
      sessionId,
      messages: count,
      tokensBefore: entry.tokensBefore,
      tokensAfter: entry.tokensAfter,
    });
    return { compacted: true, entry };
  }

  /** Folds the lines in `[start, end)` into `previous`, a window-sized chunk per model call. */
  async #summarise(
    request: CompactRequest,
    previous: string | undefined,
    start: number,
    end: number,
  ) {
    const { budget, signal } = request;
    const answerTokens = Math.min(4_096, budget.reserve);
    let summary = previous;
    let count = 0;
    let chunk: string[] = [];
    let chunkTokens = 0;
    const room = () =>
      budget.prompt - 600 - (summary ? estimateTextTokens(summary) : 0) - answerTokens;
    const flush = async () => {
      if (!chunk.length) return;
      summary = await this.#ask(request, summaryRequest(summary, chunk.join("\n\n")), answerTokens);
      chunk = [];
      chunkTokens = 0;
    };
    const lines = this.#deps.sessions.forward(request.agentId, request.sessionId, start, end);
    for await (const { entry } of lines) {
      if (isCompaction(entry)) continue;
      signal?.throwIfAborted();
      count++;
      // A single message never takes more than half a chunk, even a pasted book.
      const maxChars = Math.max(1_000, room() * 2);
      const line = transcriptLine(entry, maxChars);
      const tokens = estimateTextTokens(line) + 2;
      if (chunkTokens + tokens > room()) await flush();
      chunk.push(line);
      chunkTokens += tokens;
    }
    await flush();
    if (!summary) throw new GatewayError(ErrorCode.INTERNAL_ERROR, "The summary came back empty");
    return { summary, count };
  }

  async #ask(
    request: CompactRequest,
    messages: ReturnType<typeof summaryRequest>,
    maxTokens: number,
  ) {
    const { resolved, signal } = request;
    let text = "";
    for await (
      const event of resolved.provider.stream({
        model: resolved.model,
        messages,
        maxTokens,
        temperature: 0.2,
        stream: false,
        ...(signal ? { signal } : {}),
      })
    ) {
      if (event.type === "text") text += event.text;
      else if (event.type === "finish" && event.usage) {
        await this.#deps.onUsage?.(event.usage, resolved);
      }
    }
    text = text.trim();
    if (!text) throw new GatewayError(ErrorCode.INTERNAL_ERROR, "The summary came back empty");
    return text;
  }
}
