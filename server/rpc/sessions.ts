/**
 * @module `sessions.*`: list, preview (paged from the end), compact, delete and reset session
 * files. A `path` is resolved
 * and must name a file inside an agent's sessions folder; anything else is refused unread.
 */

import type { RpcContext } from "../context.ts";
import { resolveAgent } from "../../agent/agents.ts";
import { compactionReport } from "../../agent/compaction.ts";
import { defineMethods } from "../method_table.ts";
import type { SessionRef } from "../../agent/sessions/session_store.ts";

export const sessionsMethods = defineMethods({
  "sessions.list": {
    handler: async ({ agentId }, ctx) => {
      const sessions = await ctx.services.sessions.list({ agentId });
      // An agent taken out of config still shows the sessions it left; one that never was is
      // not found, as chat.send says.
      if (agentId !== undefined && !sessions.length) resolveAgent(ctx.config(), agentId);
      return { sessions };
    },
  },
  "sessions.preview": {
    handler: ({ path, limit, cursor }, ctx) => ctx.services.sessions.page(path, limit, cursor),
  },
  "sessions.compact": {
    handler: async ({ path }, ctx) => {
      const ref = await ctx.services.sessions.resolvePath(path);
      const result = await ctx.services.chat.compact(ref.agentId, ref.sessionId, ctx.signal);
      ctx.logger.info("session compact requested", {
        path: ref.path,
        compacted: result.compacted,
        connId: ctx.connId,
      });
      return compactionReport(ref.path, result);
    },
  },
  "sessions.delete": {
    handler: async ({ path }, ctx) => {
      // One step of the session's queue: its runs and compactions are aborted (their last
      // lines written, or dropped if they do not end soon), and later ones come after it.
      const ref = await exclusive(ctx, path, async (ref) => {
        await endProcesses(ctx, ref);
        await ctx.services.sessions.delete(path);
      });
      ctx.logger.info("session deleted", { path: ref.path, connId: ctx.connId });
      return { deleted: true, path: ref.path };
    },
  },
  "sessions.reset": {
    handler: async ({ path }, ctx) => {
      // As delete: the partial answer of a run cut short here is written before the file is
      // emptied, and nothing of it after.
      const ref = await exclusive(ctx, path, async (ref) => {
        await endProcesses(ctx, ref);
        await ctx.services.sessions.reset(path);
      });
      ctx.logger.info("session reset", { path: ref.path, connId: ctx.connId });
      return { reset: true, path: ref.path };
    },
  },
});

/**
 * Runs `work` on the session at `path` as an exclusive step of its queue
 * (`ChatService.exclusive`), joined before anything is awaited when the path names the session
 * by itself: a `chat.send` that arrives after the request runs after it. Returns the session.
 */
async function exclusive(
  ctx: RpcContext,
  path: string,
  work: (ref: SessionRef) => Promise<void>,
): Promise<SessionRef> {
  const { sessions, chat } = ctx.services;
  const ids = sessions.idsOfPath(path) ?? await sessions.resolvePath(path);
  let ref!: SessionRef;
  await chat.exclusive(ids.agentId, ids.sessionId, () => work(ref), async () => {
    ref = await sessions.resolvePath(path);
  });
  return ref;
}

/** A session that ends takes its background commands with it (`tools.process.onSessionEnd`). */
function endProcesses(ctx: RpcContext, ref: { agentId: string; sessionId: string }) {
  const policy = ctx.config().tools.process.onSessionEnd;
  return ctx.services.processes.endSession(ref.agentId, ref.sessionId, policy);
}
