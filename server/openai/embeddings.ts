/**
 * @module `POST /v1/embeddings` (OpenAI-compatible): the memory search embedding model, a
 * downloaded GGUF (`llamacpp/<id>`), or any OpenAI-compatible provider's model (`provider/model`).
 * Vectors come back normalised, as floats or (`encoding_format: "base64"`, which OpenAI's SDKs
 * ask for) little-endian float32 in base64.
 */

import { Buffer } from "node:buffer";
import { z } from "zod";
import { type HttpContext, type HttpRoute, jsonResponse } from "../http_routes.ts";
import { errorResponse, readJsonBody } from "./_errors.ts";
import { RequestError } from "./_chat_request.ts";

/** Inputs one request may embed. */
const MAX_INPUTS = 2_048;

/** Whether `input` is OpenAI's token form (an array of token ids, or of such arrays). */
const isTokens = (input: unknown) =>
  Array.isArray(input) && input.length > 0 &&
  input.every((item) =>
    typeof item === "number" ||
    (Array.isArray(item) && item.every((token) => typeof token === "number"))
  );

const bodySchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(MAX_INPUTS)], {
    error: (issue) =>
      issue.code !== "invalid_union"
        ? undefined
        : isTokens(issue.input)
        ? "token arrays are not supported: send the text (a string or an array of strings); " +
          "the gateway does not know which tokenizer the ids are of"
        : Array.isArray(issue.input) && issue.input.length > MAX_INPUTS
        ? `at most ${MAX_INPUTS} inputs per request`
        : "must be a string or an array of strings",
  }),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export const embeddingsRoute: HttpRoute = {
  method: "POST",
  path: "/v1/embeddings",
  auth: true,
  async handle(request: Request, ctx: HttpContext): Promise<Response> {
    try {
      const body = await readJsonBody(request, bodySchema);
      const input = typeof body.input === "string" ? [body.input] : body.input;
      if (input.some((text) => !text)) throw new RequestError("Input must not be empty", "input");
      const vectors = await ctx.services.memory.embed(body.model, input, ctx.signal);
      const tokens = input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
      return jsonResponse({
        object: "list",
        data: vectors.map((vector, index) => {
          const shaped = shorten(vector, body.dimensions);
          return {
            object: "embedding",
            index,
            embedding: body.encoding_format === "base64"
              ? Buffer.from(shaped.buffer, shaped.byteOffset, shaped.byteLength).toString("base64")
              : Array.from(shaped),
          };
        }),
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    } catch (error) {
      return errorResponse(error, ctx);
    }
  },
};

/** The first `dimensions` components, normalised again (as OpenAI's `dimensions` does). */
function shorten(vector: Float32Array, dimensions: number | undefined): Float32Array {
  if (!dimensions || dimensions >= vector.length) return vector;
  const cut = vector.slice(0, dimensions);
  let sum = 0;
  for (const x of cut) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return cut.map((x) => x / norm);
}
