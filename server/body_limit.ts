/**
 * @module The HTTP body limits: a body that announces no `content-length` (a chunked upload), and
 * any body of a route reachable without credentials, is read up to its limit (and, for the latter,
 * within a deadline) before the route sees it, so no handler can be made to buffer more, or wait
 * longer, than the gateway allows.
 */

/**
 * Why {@linkcode withLimitedBody} gave no request: past the limit, past the deadline, or the body
 * could not be read (the client left mid-body, or sent a broken chunked encoding).
 */
export type BodyRefusal = "tooLarge" | "tooSlow" | "broken";

/** Options for {@linkcode withLimitedBody}. */
export interface LimitedBodyOptions {
  /**
   * The body must be in within this many milliseconds, or the read stops (`"tooSlow"`).
   * @default no deadline
   */
  deadlineMs?: number;
}

/**
 * Reads `request`'s body, at most `limit` bytes. Returns a request with the same method and
 * headers and the body in memory (routes take the client's abort signal from the context), or
 * why not: `"tooLarge"` past the limit, `"tooSlow"` past the deadline, `"broken"` where reading
 * it failed.
 */
export async function withLimitedBody(
  request: Request,
  limit: number,
  options: LimitedBodyOptions = {},
): Promise<Request | BodyRefusal> {
  if (!request.body) return request;
  const reader = request.body.getReader();
  let late = false;
  const timer = options.deadlineMs === undefined ? undefined : setTimeout(() => {
    late = true;
    reader.cancel().catch(() => {});
  }, options.deadlineMs);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch {
        return late ? "tooSlow" : "broken";
      }
      const { done, value } = chunk;
      // A cancelled reader's pending read ends as if the body had.
      if (late) return "tooSlow";
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return "tooLarge";
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
  });
}
