/** @module Schemas more than one method family answers with: token usage, errors, ok. */

import { z } from "zod";
import { ErrorCode } from "../errors.ts";

/** Token counts of one run or one message. */
export const usage = z.object({
  promptTokens: z.number(),
  completionTokens: z.number(),
  totalTokens: z.number(),
});

/** One of the protocol's nine error codes. */
export const errorCode = z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]);

/** A bare acknowledgement. */
export const ok = z.object({ ok: z.boolean() });

/** Params of a method that takes none; extra keys are ignored. */
export const noParams = z.object({}).passthrough();

/** An ISO 8601 time. */
export const isoTime = z.string();
