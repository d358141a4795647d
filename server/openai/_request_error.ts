/** @module The error of a request the OpenAI-compatible API refuses, apart so any module of it can throw one. */

/** A request the gateway refuses with HTTP 400. */
export class RequestError extends Error {
  readonly param: string | null;
  constructor(message: string, param: string | null = null) {
    super(message);
    this.name = "RequestError";
    this.param = param;
  }
}
