/**
 * @module Where a session's words go when nobody in it asked: a turn run in a session by the
 * gateway itself (a cron job, another session's message, a sub-agent's report) whose answer
 * also goes to the channel chat the session belongs to; text posted into a session; and the
 * `message` tool's routing to channels and sessions.
 */

import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { MessageRouter } from "../tools/message_types.ts";
import { SESSION_CHANNEL } from "../tools/message_types.ts";
import type { SessionKey } from "../tools/sessions/session_services.ts";
import type { ChannelManager } from "./channels/channel_manager.ts";
import type { SessionStore } from "./sessions/session_store.ts";
import type { RunEventSink } from "./run_types.ts";
import { type ChatRunner, runTurn, type Turn } from "./turn_runner.ts";

/** What {@linkcode SessionDelivery} is built from. */
export interface SessionDeliveryOptions {
  chat: ChatRunner;
  sessions: SessionStore;
  channels: ChannelManager;
  /** Tells the session's clients (a posted message; the gateway names it `chat.message`). */
  onRunEvent: RunEventSink;
  logger: Logger;
}

/** Runs and posts into sessions on the gateway's own initiative. */
export class SessionDelivery implements MessageRouter {
  #options: SessionDeliveryOptions;

  constructor(options: SessionDeliveryOptions) {
    this.#options = options;
  }

  /**
   * Runs `turn` and returns its answer, which the session's clients see as `chat.*` events and,
   * for a channel session (`telegram-<chat>`), its chat receives.
   *
   * Only a session that existed before the turn is a channel's: the channel made it for a chat
   * its rules admitted. A session an agent names into being (`sessions_send` to `telegram-999`)
   * gets no channel delivery, or it would be a way around `allowFrom`.
   *
   * @throws {Error} when the run failed or was aborted, or the channel refused the answer
   */
  async runTurn(turn: Turn, signal?: AbortSignal): Promise<string> {
    const admitted = await this.#options.sessions.exists(turn.agentId, turn.sessionId);
    const answer = await runTurn(this.#options.chat, turn, signal);
    if (admitted) await this.#options.channels.deliverToSession(turn.sessionId, answer);
    return answer;
  }

  /**
   * Posts `text` into a session as the agent's words: appended to it, shown to its clients as
   * `chat.message`, and sent to its channel chat if it has one. No run starts.
   *
   * @throws {GatewayError} NOT_FOUND for a session that does not exist
   */
  async post(to: SessionKey, text: string, from: SessionKey): Promise<void> {
    const { sessions, onRunEvent } = this.#options;
    if (!(await sessions.exists(to.agentId, to.sessionId))) {
      throw new GatewayError(
        ErrorCode.NOT_FOUND,
        `Session not found: ${to.agentId}/${to.sessionId}`,
      );
    }
    await sessions.append(to.agentId, to.sessionId, {
      role: "assistant",
      content: text,
      time: new Date().toISOString(),
    });
    onRunEvent(to, { type: "message", text, from });
    await this.#options.channels.deliverToSession(to.sessionId, text);
  }

  /** The `message` tool: a channel recipient, or a session (`<sessionId>`, `<agent>/<session>`). */
  async send(input: {
    channel: string;
    recipient: string;
    text: string;
    from: SessionKey;
    signal?: AbortSignal;
  }): Promise<string> {
    const { channel, recipient, text, from, signal } = input;
    if (channel === SESSION_CHANNEL) {
      const to = sessionRecipient(recipient, from.agentId);
      if (to.agentId === from.agentId && to.sessionId === from.sessionId) {
        throw new GatewayError(
          ErrorCode.INVALID_PARAMS,
          "That is the current session: answer here instead",
        );
      }
      await this.post(to, text, from);
      this.#options.logger.info("message posted to a session", { from, to });
      return `session ${to.agentId}/${to.sessionId}`;
    }
    await this.#options.channels.sendTo(channel, recipient, text, signal);
    this.#options.logger.info("message sent", { from, channel, recipient });
    return `${channel} ${recipient}`;
  }
}

/** `<sessionId>` (the sender's agent) or `<agentId>/<sessionId>`. */
function sessionRecipient(recipient: string, agentId: string): SessionKey {
  const slash = recipient.indexOf("/");
  if (slash < 0) return { agentId, sessionId: recipient };
  return { agentId: recipient.slice(0, slash), sessionId: recipient.slice(slash + 1) };
}
