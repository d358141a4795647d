/**
 * @module The HTTP body size limit for bodies without a `content-length` (chunked uploads): the
 * body is read up to the limit before any route sees it, so no handler can be made to buffer more.
 */

/**
 * Reads `request`'s body, at most `limit` bytes. Returns a request with the same method
 * and headers and the body in memory (routes take the client's abort signal from the context), or `undefined` when the body is over the limit.
 */
export async function withLimitedBody(
  request: Request,
  limit: number,
): Promise<Request | undefined> {
  if (!request.body) return request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
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
