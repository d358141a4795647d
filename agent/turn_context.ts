/**
 * @module The history a turn starts from: the session's context within the model's budget,
 * compacted first when it no longer fits (with the memory flush before), and the summary as
 * part of the system prompt.
 */

import type { ContextBudget } from "./context_window.ts";
import { loadSessionContext, type SessionContext } from "./session_context.ts";
import { SessionCompactor } from "./compaction.ts";
import type { AgentRunDeps, PreparedRun } from "./run_types.ts";
import type {
  CompactionEntry,
  SessionMessage,
  SessionTailSnapshot,
} from "./sessions/session_store.ts";

/** Options of {@linkcode turnContext}. */
export interface TurnContextOptions {
  budget: ContextBudget;
  /** Tokens the system prompt and tool specs take. */
  fixedTokens: number;
  signal: AbortSignal;
  /** Runs before an automatic compaction, with the history about to be folded. */
  flush?(messages: SessionMessage[]): Promise<unknown>;
  /** The session's tail as the turn's own append left it (see `startTurn`). */
  tail?: SessionTailSnapshot;
}

const compactors = new WeakMap<object, SessionCompactor>();

/** The compactor of `deps` (one per session store, so compactions of a session never overlap). */
export function compactorOf(deps: AgentRunDeps): SessionCompactor {
  if (deps.compactor) return deps.compactor;
  let compactor = compactors.get(deps.sessions);
  if (!compactor) {
    compactor = new SessionCompactor({
      sessions: deps.sessions,
      logger: deps.logger,
      // Recorded in the background: the summary need not wait for the usage file's batch.
      onUsage: (usage, resolved) => {
        deps.usage?.record({
          provider: resolved.providerId,
          model: resolved.model,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
        }).catch((error) => deps.logger.error("usage record failed", { error: String(error) }));
      },
    });
    compactors.set(deps.sessions, compactor);
  }
  return compactor;
}

/** Loads the turn's context, compacting the session first when it does not fit. */
export async function turnContext(
  deps: AgentRunDeps,
  run: PreparedRun,
  options: TurnContextOptions,
): Promise<SessionContext> {
  const { agentId, sessionId } = run.request;
  const historyTokens = Math.max(1_000, options.budget.prompt - options.fixedTokens);
  const context = await loadSessionContext(
    deps.sessions,
    agentId,
    sessionId,
    historyTokens,
    options.tail,
  );
  if (!context.overflow) return context;
  const settings = deps.config().agents.defaults.compaction;
  await compactorOf(deps).compact({
    agentId,
    sessionId,
    resolved: run.resolved,
    // The summary request carries no tools, so it may use the whole prompt budget; what is
    // kept verbatim must leave room for the tools and the system prompt.
    budget: options.budget,
    keepTokens: Math.min(settings.keepRecentTokens ?? Infinity, Math.floor(historyTokens / 4)),
    signal: options.signal,
    ...(options.flush
      ? { beforeCompact: () => options.flush!(context.messages.map((m) => m.message)) }
      : {}),
  });
  // What follows the summary is at most the turns compaction kept, however large; the
  // request guard cuts it if a single turn outgrows the window.
  return await loadSessionContext(deps.sessions, agentId, sessionId, Infinity);
}

/** The system prompt with the compaction summary after it. */
export function withSummary(system: string, compaction: CompactionEntry | undefined): string {
  if (!compaction) return system;
  return `${system}\n\nThe earlier part of this conversation was compacted into this summary ` +
    `(the full transcript stays on disk):\n<summary>\n${compaction.content}\n</summary>`;
}
