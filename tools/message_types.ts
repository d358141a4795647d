/**
 * @module What the `message` tool needs from the gateway (`ToolServices.messages`), apart from
 * the tool so that `tool.ts` can name it without importing the tool back.
 */

/**
 * The pseudo-channel whose recipients are sessions: `<sessionId>` or `<agentId>/<sessionId>`.
 * Here rather than in the tool, whose parameter schema (and zod) the gateway loads with the
 * tools, not at start.
 */
export const SESSION_CHANNEL = "session";

/** What the `message` tool needs from the gateway (`ToolServices.messages`). */
export interface MessageRouter {
  /**
   * Delivers `text`; resolves with where it went, in words.
   *
   * @throws {GatewayError} NOT_FOUND for an unknown channel or session; INVALID_PARAMS for a
   * recipient the channel does not allow
   */
  send(input: {
    channel: string;
    recipient: string;
    text: string;
    from: { agentId: string; sessionId: string };
    /** Stops a channel send under way (the turn's abort). */
    signal?: AbortSignal;
  }): Promise<string>;
}
