/**
 * @module `GET /v1/models`: every model of every configured provider, and each agent as
 * `agent:<id>`, in OpenAI's list shape. A bare id names its first owner.
 */

import { listAgents } from "../../agent/agents.ts";
import { type HttpContext, type HttpRoute, jsonResponse } from "../http_routes.ts";
import { AGENT_PREFIX } from "./_model_source.ts";

export const modelsRoute: HttpRoute = {
  method: "GET",
  path: "/v1/models",
  auth: true,
  async handle(_request: Request, ctx: HttpContext): Promise<Response> {
    const created = Math.floor(ctx.gateway.startedAt / 1000);
    const seen = new Set<string>();
    const data: { id: string; object: "model"; created: number; owned_by: string }[] = [];
    for (const model of await ctx.services.providers.listModels()) {
      if (seen.has(model.id)) continue;
      seen.add(model.id);
      data.push({ id: model.id, object: "model", created, owned_by: model.provider });
    }
    for (const agent of listAgents(ctx.config())) {
      data.push({ id: `${AGENT_PREFIX}${agent.id}`, object: "model", created, owned_by: "pyclaw" });
    }
    return jsonResponse({ object: "list", data });
  },
};
