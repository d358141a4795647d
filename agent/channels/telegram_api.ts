/**
 * @module A small client of the Telegram Bot API (`getMe`, `getUpdates` long polling,
 * `sendMessage`), with the base URL from config so tests can point it at a local stand-in.
 * The bot token is part of every URL, so no URL ever goes into an error message or a log.
 */

/** A Telegram user. */
export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name?: string;
  username?: string;
}

/** The parts of a Telegram message the channel reads. */
export interface TelegramMessage {
  message_id: number;
  from?: TelegramUser;
  chat: { id: number; type: string; title?: string; username?: string };
  date: number;
  text?: string;
}

/** One update from `getUpdates`. */
export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
}

/** A failed call. `retryAfterSec` comes from a 429; `permanent` marks a bad token. */
export class TelegramApiError extends Error {
  readonly status: number;
  readonly retryAfterSec?: number;

  constructor(method: string, status: number, description: string, retryAfterSec?: number) {
    super(`Telegram ${method} failed (${status}): ${description}`);
    this.name = "TelegramApiError";
    this.status = status;
    this.retryAfterSec = retryAfterSec;
  }

  get permanent(): boolean {
    return this.status === 401 || this.status === 404;
  }
}

/** Telegram's limit on one message's text. */
export const MAX_MESSAGE_CHARS = 4096;

/**
 * How long one `sendMessage` may wait for the API: a send that hangs would otherwise hold the
 * turn (the `message` tool) or the reply that waits on it for as long as the connection stays up.
 */
const SEND_TIMEOUT_MS = 30_000;

/** Calls the Bot API at `baseUrl` (e.g. `https://api.telegram.org`) with `token`. */
export class TelegramApi {
  #base: string;

  constructor(baseUrl: string, token: string) {
    this.#base = `${baseUrl.replace(/\/+$/, "")}/bot${token}`;
  }

  /** `timeoutMs`: fail a call the API has not answered by then (not for long polls). */
  async call<T>(
    method: string,
    body: Record<string, unknown>,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): Promise<T> {
    let response: Response;
    const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    try {
      response = await fetch(`${this.#base}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: deadline && signal ? AbortSignal.any([signal, deadline]) : deadline ?? signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (deadline?.aborted) {
        throw new TelegramApiError(method, 0, `No answer from the Telegram API in ${timeoutMs} ms`);
      }
      // fetch's message may contain the URL, and with it the token.
      throw new TelegramApiError(method, 0, "Cannot reach the Telegram API");
    }
    const payload = await response.json().catch(() => undefined) as
      | {
        ok?: boolean;
        result?: T;
        description?: string;
        error_code?: number;
        parameters?: { retry_after?: number };
      }
      | undefined;
    if (!response.ok || !payload?.ok) {
      throw new TelegramApiError(
        method,
        payload?.error_code ?? response.status,
        payload?.description ?? response.statusText,
        payload?.parameters?.retry_after,
      );
    }
    return payload.result as T;
  }

  getMe(signal?: AbortSignal): Promise<TelegramUser> {
    return this.call("getMe", {}, signal);
  }

  getUpdates(offset: number | undefined, timeoutSec: number, signal?: AbortSignal) {
    return this.call<TelegramUpdate[]>("getUpdates", {
      ...(offset !== undefined ? { offset } : {}),
      timeout: timeoutSec,
      allowed_updates: ["message"],
    }, signal);
  }

  /** Sends `text`, split into Telegram-sized parts. */
  async sendMessage(chatId: string, text: string, signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < Math.max(text.length, 1); i += MAX_MESSAGE_CHARS) {
      await this.call(
        "sendMessage",
        {
          chat_id: chatId,
          text: text.slice(i, i + MAX_MESSAGE_CHARS) || " ",
        },
        signal,
        SEND_TIMEOUT_MS,
      );
    }
  }
}
