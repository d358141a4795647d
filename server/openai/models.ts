/**
 * @module `GET /v1/models`: every model of every configured provider, and each agent as
 * `agent:<id>`, in OpenAI's list shape. A bare id names its first owner. `GET /v1/models/{id}`:
 * one of them (a bare id, `provider/model`, `agent:<id>`, or `agent:` for the default agent), or
 * 404 for any other id.
 */

import { DEFAULT_AGENT_ID, listAgents } from "../../agent/agents.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { type HttpContext, type HttpRoute, jsonResponse } from "../http_routes.ts";
import { AGENT_PREFIX } from "./_model_source.ts";
import { errorResponse } from "./_errors.ts";

/** OpenAI's model object. */
type ModelObject = { id: string; object: "model"; created: number; owned_by: string };

/** The models `/v1/models` lists, with each provider model's `provider/model` form beside it. */
async function models(ctx: HttpContext) {
  const created = Math.floor(ctx.gateway.startedAt / 1000);
  const seen = new Set<string>();
  const data: ModelObject[] = [];
  const qualified = new Map<string, ModelObject>();
  for (const model of await ctx.services.providers.listModels()) {
    const id = `${model.provider}/${model.id}`;
    qualified.set(id, { id, object: "model", created, owned_by: model.provider });
    if (seen.has(model.id)) continue;
    seen.add(model.id);
    data.push({ id: model.id, object: "model", created, owned_by: model.provider });
  }
  for (const agent of listAgents(ctx.config())) {
    data.push({ id: `${AGENT_PREFIX}${agent.id}`, object: "model", created, owned_by: "pyclaw" });
  }
  return { data, qualified };
}

export const modelsRoute: HttpRoute = {
  method: "GET",
  path: "/v1/models",
  auth: true,
  async handle(_request: Request, ctx: HttpContext): Promise<Response> {
    return jsonResponse({ object: "list", data: (await models(ctx)).data });
  },
};

export const modelRoute: HttpRoute = {
  method: "GET",
  path: /^\/v1\/models\/(.+)$/,
  auth: true,
  async handle(_request: Request, ctx: HttpContext, match): Promise<Response> {
    try {
      // SDKs encode the id as one path segment (`up%2Fm`); a raw `up/m` is taken too.
      let id: string;
      try {
        id = decodeURIComponent(match![1]);
      } catch {
        id = match![1];
      }
      const { data, qualified } = await models(ctx);
      // `agent:` alone is the default agent, as the chat routes take it (_model_source.ts).
      const listedId = id === AGENT_PREFIX ? `${AGENT_PREFIX}${DEFAULT_AGENT_ID}` : id;
      const found = data.find((entry) => entry.id === listedId) ?? qualified.get(id);
      const model = found && listedId !== id ? { ...found, id } : found;
      if (!model) {
        throw new GatewayError(ErrorCode.NOT_FOUND, `The model \`${id}\` does not exist`);
      }
      return jsonResponse(model);
    } catch (error) {
      return errorResponse(error, ctx);
    }
  },
};
