/**
 * @module `POST /v1/devices/complete`: how a new device, which has no credentials yet, presents
 * its pairing code. Same checks and rate limit as the `device.complete` method.
 */

import { isGatewayError } from "../core/errors.ts";
import { gatewayErrorResponse, httpError, type HttpRoute, jsonResponse } from "./http_routes.ts";
import { importLazily, loadOnce } from "../core/lazy_module.ts";

/** `device.complete`'s params schema, loaded by the route's first request (issue 17, idle RSS). */
const completeParams = loadOnce(() =>
  importLazily<typeof import("../core/protocol/methods/device.ts")>(
    new URL("../core/protocol/methods/device.ts", import.meta.url),
  ).then((module) => module.completeParams)
);

export const deviceRoutes: HttpRoute[] = [{
  method: "POST",
  path: "/v1/devices/complete",
  auth: false,
  handle: async (request, ctx) => {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return httpError("INVALID_PARAMS", "The request body is not valid JSON");
    }
    const parsed = (await completeParams()).safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue.path.map(String).join(".") || null;
      return httpError(
        "INVALID_PARAMS",
        `Invalid request: ${param ? `${param}: ` : ""}${issue.message}`,
        {
          param,
        },
      );
    }
    try {
      const { code, response } = parsed.data;
      return jsonResponse(await ctx.services.devices.complete(code, response, ctx.address));
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      return gatewayErrorResponse(error);
    }
  },
}];
