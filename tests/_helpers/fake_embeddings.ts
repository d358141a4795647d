/**
 * @module The stand-in's `POST /v1/embeddings`: OpenAI's wire format (floats, or base64 float32
 * when asked), with vectors from a function a test chooses. The default hashes each word into one
 * of 64 dimensions, so texts sharing words are near each other.
 */

import { Buffer } from "node:buffer";

/** Maps a text to its vector. */
export type EmbedText = (text: string) => number[];

/** A bag of words hashed into 64 dimensions. */
export function bagOfWords(text: string): number[] {
  const vector = new Array(64).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let hash = 0;
    for (const char of word) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
    vector[hash % 64] += 1;
  }
  return vector;
}

/** Answers an embeddings request body. */
// deno-lint-ignore no-explicit-any
export function embeddingsResponse(body: any, embed: EmbedText = bagOfWords): Response {
  const inputs: unknown[] = typeof body?.input === "string" ? [body.input] : body?.input ?? [];
  if (!body?.model || !inputs.length || inputs.some((input) => typeof input !== "string")) {
    return Response.json(
      {
        error: {
          message: "Invalid input",
          type: "invalid_request_error",
          code: null,
          param: "input",
        },
      },
      { status: 400 },
    );
  }
  const data = (inputs as string[]).map((input, index) => {
    const vector = embed(input);
    const embedding = body.encoding_format === "base64"
      ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
      : vector;
    return { object: "embedding", index, embedding };
  });
  const tokens = (inputs as string[]).reduce((sum, text) => sum + text.split(/\s+/).length, 0);
  return Response.json({
    object: "list",
    data,
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
