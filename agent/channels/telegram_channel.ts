/**
 * @module The Telegram channel: long polling with `getUpdates`, text messages handed to the
 * manager one at a time per chat, replies with `sendMessage`. A lost connection is retried with
 * exponential backoff (`retryBaseMs` doubling up to `retryMaxMs`, or Telegram's `retry_after`),
 * and the status says `reconnecting` meanwhile.
 */

import type { Logger } from "../../core/logger.ts";
import {
  type Channel,
  type ChannelMetrics,
  type ChannelState,
  type ChannelStatus,
  emptyMetrics,
  type IncomingMessage,
} from "./channel.ts";
import { TelegramApi, TelegramApiError, type TelegramMessage } from "./telegram_api.ts";

/** The channel's settings (config `channels.telegram`). */
export interface TelegramSettings {
  botToken: string;
  apiBaseUrl: string;
  pollTimeoutSec: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** Options for {@linkcode TelegramChannel}. */
export interface TelegramChannelOptions {
  settings: TelegramSettings;
  /** Handles one message; the next message of the same chat waits for it. */
  onMessage: (message: IncomingMessage) => Promise<void>;
  logger: Logger;
}

export class TelegramChannel implements Channel {
  readonly id = "telegram";
  readonly type = "telegram";
  #options: TelegramChannelOptions;
  #api: TelegramApi;
  #state: ChannelState = "stopped";
  #metrics: ChannelMetrics = emptyMetrics();
  #botName: string | undefined;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #chats = new Map<string, Promise<void>>();

  constructor(options: TelegramChannelOptions) {
    this.#options = options;
    this.#api = new TelegramApi(options.settings.apiBaseUrl, options.settings.botToken);
  }

  get name(): string {
    return this.#botName ? `Telegram (@${this.#botName})` : "Telegram";
  }

  start(): void {
    if (this.#loop) return;
    this.#controller = new AbortController();
    this.#state = "starting";
    this.#loop = this.#poll(this.#controller.signal);
  }

  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#loop;
    await Promise.allSettled([...this.#chats.values()]);
    this.#loop = undefined;
    this.#state = "stopped";
  }

  async send(chatId: string, text: string, signal?: AbortSignal): Promise<void> {
    const own = this.#controller?.signal;
    try {
      await this.#api.sendMessage(
        chatId,
        text,
        own && signal ? AbortSignal.any([own, signal]) : own ?? signal,
      );
      this.#metrics.sent++;
    } catch (error) {
      this.#metrics.errors++;
      this.#metrics.lastError = (error as Error).message;
      throw error;
    }
  }

  countRejected(): void {
    this.#metrics.rejected++;
  }

  status(): ChannelStatus {
    return {
      channel_id: this.id,
      name: this.name,
      type: this.type,
      running: this.#state === "running",
      status: this.#state,
      metrics: { ...this.#metrics },
    };
  }

  async #poll(signal: AbortSignal): Promise<void> {
    const { settings, logger } = this.#options;
    let offset: number | undefined;
    let backoff = settings.retryBaseMs;
    // After a failure, a quick poll (timeout 0) proves the connection before "running" is shown.
    let recovering = false;
    const connected = () => {
      if (this.#state !== "running") {
        logger.info("telegram channel connected", { bot: this.#botName });
      }
      this.#state = "running";
      delete this.#metrics.nextRetryAt;
    };
    while (!signal.aborted) {
      try {
        if (!this.#botName) {
          this.#botName = (await this.#api.getMe(signal)).username ?? "bot";
          connected();
        }
        const timeout = recovering ? 0 : settings.pollTimeoutSec;
        const updates = await this.#api.getUpdates(offset, timeout, signal);
        connected();
        recovering = false;
        backoff = settings.retryBaseMs;
        for (const update of updates) {
          offset = update.update_id + 1;
          if (update.message?.text && update.message.from && !update.message.from.is_bot) {
            this.#dispatch(update.message);
          }
        }
      } catch (error) {
        if (signal.aborted) break;
        const wait = error instanceof TelegramApiError && error.retryAfterSec
          ? error.retryAfterSec * 1000
          : backoff;
        backoff = Math.min(backoff * 2, settings.retryMaxMs);
        recovering = true;
        this.#metrics.errors++;
        this.#metrics.reconnects++;
        this.#metrics.lastError = (error as Error).message;
        this.#metrics.nextRetryAt = new Date(Date.now() + wait).toISOString();
        // A rejected token will not fix itself: say "error", yet keep trying slowly.
        this.#state = error instanceof TelegramApiError && error.permanent
          ? "error"
          : "reconnecting";
        logger.warn("telegram polling failed; retrying", {
          error: (error as Error).message,
          retryInMs: wait,
        });
        await sleep(wait, signal);
      }
    }
  }

  /** Queues a message behind the earlier ones of its chat, so replies keep their order. */
  #dispatch(message: TelegramMessage): void {
    this.#metrics.received++;
    this.#metrics.lastMessageAt = new Date(message.date * 1000).toISOString();
    const chatId = String(message.chat.id);
    const incoming: IncomingMessage = {
      channelId: this.id,
      chatId,
      chatType: message.chat.type,
      senderId: String(message.from!.id),
      username: message.from!.username,
      senderName: message.from!.first_name,
      text: message.text!,
    };
    const previous = this.#chats.get(chatId) ?? Promise.resolve();
    const next = previous.then(() => this.#options.onMessage(incoming)).catch((error) => {
      this.#metrics.errors++;
      this.#metrics.lastError = (error as Error).message;
      this.#options.logger.warn("telegram message handling failed", {
        chatId,
        error: (error as Error).message,
      });
    });
    this.#chats.set(chatId, next);
    next.then(() => {
      if (this.#chats.get(chatId) === next) this.#chats.delete(chatId);
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
