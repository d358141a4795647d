/**
 * @module `sessions.*`: list, preview (paged from the end), compact, delete and reset session
 * files. A `path` is resolved
 * and must name a file inside an agent's sessions folder; anything else is refused unread.
 */

import type { RpcContext } from "../context.ts";
import { resolveAgent } from "../../agent/agents.ts";
import { compactionReport } from "../../agent/compaction.ts";
import { defineMethods } from "../method_table.ts";

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
      const ref = await ctx.services.sessions.resolvePath(path);
      // A run still answering would recreate the file it is deleted under: it ends, its last
      // lines written, before the file goes.
      await ctx.services.chat.stop(ref.agentId, ref.sessionId);
      await endProcesses(ctx, ref);
      await ctx.services.sessions.delete(path);
      ctx.logger.info("session deleted", { path: ref.path, connId: ctx.connId });
      return { deleted: true, path: ref.path };
    },
  },
  "sessions.reset": {
    handler: async ({ path }, ctx) => {
      const ref = await ctx.services.sessions.resolvePath(path);
      // The partial answer of a run cut short here is written before the file is emptied, not
      // into the emptied file.
      await ctx.services.chat.stop(ref.agentId, ref.sessionId);
      await endProcesses(ctx, ref);
      await ctx.services.sessions.reset(path);
      ctx.logger.info("session reset", { path: ref.path, connId: ctx.connId });
      return { reset: true, path: ref.path };
    },
  },
});

/** A session that ends takes its background commands with it (`tools.process.onSessionEnd`). */
function endProcesses(ctx: RpcContext, ref: { agentId: string; sessionId: string }) {
  const policy = ctx.config().tools.process.onSessionEnd;
  return ctx.services.processes.endSession(ref.agentId, ref.sessionId, policy);
}
