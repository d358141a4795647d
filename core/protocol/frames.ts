/** @module The JSON frames of gateway protocol v3 (spec section 1): `req`, `res`, `event`. */

import type { ErrorCode, ErrorShape } from "./errors.ts";
import type { MethodParams, MethodResult } from "./methods.ts";

/** Highest and lowest protocol versions this program speaks (the gateway and its clients). */
export const PROTOCOL = { min: 1, max: 3 } as const;

export type FrameId = string | number;

/** Client -> server. */
export interface RequestFrame {
  type: "req";
  /** Echoed in the response; a string per the spec, numbers tolerated. */
  id: FrameId;
  method: string;
  params?: unknown;
}

/** Server -> client, answering one request. */
export type ResponseFrame =
  | { type: "res"; id: FrameId | null; ok: true; payload: unknown }
  | { type: "res"; id: FrameId | null; ok: false; error: ErrorShape };

/** Server -> client, pushed; `seq` counts from 1 on each connection, without gaps. */
export interface EventFrame {
  type: "event";
  event: string;
  seq: number;
  payload: unknown;
}

export type ServerFrame = ResponseFrame | EventFrame;

/** Parameters of the `connect` request. */
export type ConnectParams = MethodParams<"connect">;

/** Reply to `connect`. */
export type HelloPayload = MethodResult<"connect">;

/** Why a frame could not be taken as a request. */
export interface FrameProblem {
  id: FrameId | null;
  code: ErrorCode;
  message: string;
}

/** Parses one text message into a request, or says what is wrong with it. */
export function parseRequestFrame(text: string): RequestFrame | FrameProblem {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { id: null, code: "INVALID_PARAMS", message: "Malformed JSON frame" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { id: null, code: "INVALID_PARAMS", message: "A frame must be a JSON object" };
  }
  const frame = data as Record<string, unknown>;
  const id = typeof frame.id === "string" && frame.id.length > 0 && frame.id.length <= 256
    ? frame.id
    : typeof frame.id === "number" && Number.isFinite(frame.id)
    ? frame.id
    : null;
  if (frame.type !== "req") {
    return {
      id,
      code: "INVALID_PARAMS",
      message: `Unsupported frame type: ${JSON.stringify(frame.type)}`,
    };
  }
  if (id === null) return { id: null, code: "INVALID_PARAMS", message: "Request frame has no id" };
  if (typeof frame.method !== "string" || frame.method.length === 0 || frame.method.length > 128) {
    return { id, code: "INVALID_PARAMS", message: "Request frame has no method" };
  }
  return { type: "req", id, method: frame.method, params: frame.params };
}

export function isFrameProblem(value: RequestFrame | FrameProblem): value is FrameProblem {
  return (value as RequestFrame).type !== "req";
}
