/**
 * @module `POST /v1/devices/complete`: how a new device, which has no credentials yet, presents
 * its pairing code. Same checks and rate limit as the `device.complete` method.
 */

import { isGatewayError } from "../core/errors.ts";
import { type HttpRoute, jsonResponse } from "./http_routes.ts";
import { completeParams } from "./rpc/device.ts";

const STATUS: Record<string, number> = { INVALID_PARAMS: 400, RATE_LIMITED: 429 };

export const deviceRoutes: HttpRoute[] = [{
  method: "POST",
  path: "/v1/devices/complete",
  auth: false,
  handle: async (request, ctx) => {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return jsonResponse({ error: { code: "INVALID_PARAMS", message: "Body is not JSON" } }, 400);
    }
    const parsed = completeParams.safeParse(body);
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join(
        "; ",
      );
      return jsonResponse({ error: { code: "INVALID_PARAMS", message } }, 400);
    }
    try {
      const { code, response } = parsed.data;
      return jsonResponse(await ctx.services.devices.complete(code, response, ctx.address));
    } catch (error) {
      if (!isGatewayError(error)) throw error;
      return jsonResponse({
        error: error.toShape?.() ?? { code: error.code, message: error.message },
      }, STATUS[error.code] ?? 500);
    }
  },
}];
