/**
 * @module Checks every result and event that crosses the wire in tests against the catalogue in
 * `core/protocol/`: a result or payload that fails its schema, or carries a field the schema does
 * not declare, is contract drift. A drifting result is turned into an error answer (the request
 * rejects); a drifting event is recorded and fails the test when its gateway closes.
 */

import type { z } from "zod";
import { type ConnectOptions, GatewayClient, openWebSocket } from "../../core/protocol/client.ts";
import { EVENTS } from "../../core/protocol/events.ts";
import { METHODS } from "../../core/protocol/methods.ts";
import { type Transport, webSocketTransport } from "../../core/protocol/transport.ts";

/** Drift seen by every checked client of this process, oldest first (events only). */
export const contractProblems: string[] = [];

/** Says what is wrong with `value` as `schema`'s data, or undefined when it matches exactly. */
export function contractDrift(schema: z.ZodType, value: unknown): string | undefined {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "<root>"}: ${issue.message}`)
      .join("; ");
  }
  const extra = undeclared(value, parsed.data, "");
  return extra.length ? `undeclared fields: ${extra.join(", ")}` : undefined;
}

/** Paths present in what was sent but stripped by the schema (fields the contract lacks). */
function undeclared(sent: unknown, kept: unknown, path: string): string[] {
  if (Array.isArray(sent) && Array.isArray(kept)) {
    return sent.flatMap((item, i) => undeclared(item, kept[i], `${path}[${i}]`));
  }
  if (!isObject(sent) || !isObject(kept)) return [];
  return Object.keys(sent).flatMap((key) => {
    const at = path ? `${path}.${key}` : key;
    if (!(key in kept)) return sent[key] === undefined ? [] : [at];
    return undeclared(sent[key], kept[key], at);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Wraps a transport so that every `res` and `event` frame is checked against the catalogue. */
export function contractCheckedTransport(inner: Transport): Transport {
  const methodOf = new Map<string, string>();
  const outer: Transport = {
    send(text) {
      const frame = JSON.parse(text);
      methodOf.set(String(frame.id), frame.method);
      inner.send(text);
    },
    close: (code, reason) => inner.close(code, reason),
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
  };
  inner.onclose = (code, reason) => outer.onclose?.(code, reason);
  inner.onmessage = (text) => outer.onmessage?.(check(text, methodOf));
  return outer;
}

function check(text: string, methodOf: Map<string, string>): string {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return text;
  }
  if (frame.type === "event") {
    const contract = EVENTS[frame.event as keyof typeof EVENTS];
    const drift = contract
      ? contractDrift(contract.payload, frame.payload)
      : "not in the events catalogue";
    if (drift) contractProblems.push(`event ${frame.event}: ${drift}`);
    return text;
  }
  if (frame.type !== "res" || !frame.ok) return text;
  const method = methodOf.get(String(frame.id));
  methodOf.delete(String(frame.id));
  const contract = method ? METHODS[method as keyof typeof METHODS] : undefined;
  if (!contract) return text;
  const drift = contractDrift(contract.result, frame.payload);
  if (!drift) return text;
  return JSON.stringify({
    type: "res",
    id: frame.id,
    ok: false,
    error: {
      code: "INTERNAL_ERROR",
      message: `Contract drift: the result of ${method} does not match its schema: ${drift}`,
    },
  });
}

/** Like `GatewayClient.connect`, with every result and event checked against the catalogue. */
export async function connectChecked(
  url: string,
  options: ConnectOptions = {},
): Promise<GatewayClient> {
  const socket = await openWebSocket(url, options);
  return await GatewayClient.over(contractCheckedTransport(webSocketTransport(socket)), options);
}

/**
 * Throws when any checked client saw a drifting event since the last call, and forgets them.
 *
 * @throws {Error} listing each drift
 */
export function assertNoContractDrift(): void {
  if (!contractProblems.length) return;
  const problems = contractProblems.splice(0);
  throw new Error(`Contract drift in events:\n  ${problems.join("\n  ")}`);
}
