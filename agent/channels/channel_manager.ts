/**
 * @module The channel manager: starts the configured channels, restarts one when its config
 * changes, and routes each incoming message: access check (`dmPolicy`, `allowFrom`), agent by
 * `bindings` (`<channel>:<chatId>`, e.g. `telegram:*`), one session per chat
 * (`<channel>-<chatId>`), and the answer back on the same channel and chat.
 */

import type { Config } from "../../core/config/schema.ts";
import { GatewayError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { agentForKey } from "../agents.ts";
import type { Turn } from "../turn_runner.ts";
import { type AccessSettings, decideAccess, pairingReply } from "./access.ts";
import type { Channel, ChannelStatus, IncomingMessage } from "./channel.ts";
import { WebchatChannel } from "./webchat_channel.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";

// The Telegram client loads with the first bot configured to run, not with the manager: a
// gateway without one keeps neither it nor its Bot API code in memory (issue 17).
const loadTelegram = loadOnce(() =>
  importLazily<typeof import("./telegram_channel.ts")>(
    new URL("./telegram_channel.ts", import.meta.url),
  )
);

/** Options for {@linkcode ChannelManager}. */
export interface ChannelManagerOptions {
  config: () => Config;
  /** Runs one agent turn and resolves with its answer. */
  runTurn: (turn: Turn, signal: AbortSignal) => Promise<string>;
  logger: Logger;
  /** Subscribes to config changes (returns the unsubscribe); channels then restart as needed. */
  onConfigChange?: (listener: () => void) => () => void;
}

/** A channel as `channels.list` shows it. */
export interface ChannelSummary {
  id: string;
  type: string;
  status: ChannelStatus["status"];
}

export class ChannelManager {
  #options: ChannelManagerOptions;
  #channels = new Map<string, Channel>();
  #telegramKey: string | undefined;
  #controller = new AbortController();
  #unsubscribe: (() => void) | undefined;
  #started = false;

  constructor(options: ChannelManagerOptions) {
    this.#options = options;
  }

  /** Starts the channels the config turns on. */
  start(): void {
    this.#started = true;
    const webchat = new WebchatChannel(() => this.#options.config().channels.webchat.enabled);
    webchat.start();
    this.#channels.set(webchat.id, webchat);
    this.#unsubscribe = this.#options.onConfigChange?.(() => {
      this.reload().catch((error) =>
        this.#options.logger.error("channel reload failed", { error: (error as Error).message })
      );
    });
    this.reload().catch((error) =>
      this.#options.logger.error("channel start failed", { error: (error as Error).message })
    );
  }

  /** Applies a config change: a channel whose settings changed restarts. */
  reload(): Promise<void> {
    return this.#syncTelegram();
  }

  /**
   * The channels to report: the started ones, or, in a manager never started (the CLI's
   * in-process route, where channels do not run), what the config declares, none running.
   */
  #reported(): Map<string, Channel> {
    return this.#started ? this.#channels : declaredChannels(this.#options.config());
  }

  list(): ChannelSummary[] {
    return [...this.#reported().values()].map((channel) => {
      const { status } = channel.status();
      return { id: channel.id, type: channel.type, status };
    });
  }

  /** @throws {GatewayError} NOT_FOUND for an unknown channel */
  status(id: string): ChannelStatus {
    const channel = this.#reported().get(id);
    if (!channel) throw new GatewayError("NOT_FOUND", `Channel not found: ${id}`);
    return channel.status();
  }

  /**
   * The channel conversation a session belongs to (`telegram-111` -> telegram, chat 111), or
   * undefined for a session no channel routes to.
   */
  sessionTarget(sessionId: string): { channel: string; chatId: string } | undefined {
    for (const id of this.#channels.keys()) {
      if (id !== "webchat" && sessionId.startsWith(`${id}-`) && sessionId.length > id.length + 1) {
        return { channel: id, chatId: sessionId.slice(id.length + 1) };
      }
    }
    return undefined;
  }

  /**
   * Sends `text` to the chat a channel session belongs to (a cron job's answer, a sub-agent's
   * report); false for a session no channel routes to. That chat already talks to the agent,
   * so no allow check applies.
   */
  async deliverToSession(sessionId: string, text: string): Promise<boolean> {
    const target = this.sessionTarget(sessionId);
    if (!target || !text.trim()) return false;
    await this.#channels.get(target.channel)!.send(target.chatId, text.trim());
    return true;
  }

  /**
   * Sends `text` to `recipient` on a channel the agent itself chose (the `message` tool), under
   * the rules that admit inbound traffic: a recipient the channel would not accept a message
   * from gets none either.
   *
   * @throws {GatewayError} NOT_FOUND for an unknown channel; INVALID_PARAMS for a channel that
   * cannot send to a recipient, or a recipient its `dmPolicy`/`allowFrom` does not allow
   */
  async sendTo(
    channelId: string,
    recipient: string,
    text: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const channel = this.#channels.get(channelId);
    const sendable = [...this.#channels.keys()].filter((id) => id !== "webchat");
    if (!channel) {
      throw new GatewayError(
        "NOT_FOUND",
        `Unknown channel: ${channelId} (configured: ${sendable.join(", ") || "none"})`,
      );
    }
    const access = this.#options.config().channels[channelId as "telegram"] as
      | AccessSettings
      | undefined;
    if (channelId === "webchat" || !access) {
      throw new GatewayError("INVALID_PARAMS", `Channel ${channelId} cannot send to a recipient`);
    }
    const username = recipient.startsWith("@") ? recipient.slice(1) : undefined;
    if (decideAccess(access, { id: recipient, username }) !== "allow") {
      throw new GatewayError(
        "INVALID_PARAMS",
        `Recipient ${recipient} is not allowed on ${channelId} (dmPolicy ${access.dmPolicy}; ` +
          `add it to channels.${channelId}.allowFrom)`,
      );
    }
    await channel.send(recipient, text, signal);
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#controller.abort();
    await Promise.allSettled([...this.#channels.values()].map((channel) => channel.stop()));
  }

  async #syncTelegram(): Promise<void> {
    const settings = this.#options.config().channels.telegram;
    const key = settings ? JSON.stringify(settings) : undefined;
    if (key === this.#telegramKey && this.#channels.has("telegram")) return;
    this.#telegramKey = key;
    const previous = this.#channels.get("telegram");
    // While the old channel stops, the channel reads as starting: a client that polls
    // `channels.status` through a restart must not be told the channel does not exist.
    if (previous) {
      this.#channels.set("telegram", placeholder("starting"));
      await previous.stop();
    }
    if (!settings || this.#controller.signal.aborted) {
      this.#channels.delete("telegram");
      return;
    }
    if (!settings.enabled || !settings.botToken) {
      this.#channels.set("telegram", placeholder(settings.enabled ? "unconfigured" : "disabled"));
      return;
    }
    // Reads as starting while the client loads; a newer config or a stop meanwhile wins.
    this.#channels.set("telegram", placeholder("starting"));
    const { TelegramChannel } = await loadTelegram();
    if (this.#telegramKey !== key || this.#controller.signal.aborted) return;
    const channel: InstanceType<typeof TelegramChannel> = new TelegramChannel({
      settings: { ...settings, botToken: settings.botToken },
      onMessage: (message): Promise<void> => this.#route(channel, message),
      logger: this.#options.logger.child({ channel: "telegram" }),
    });
    this.#channels.set(channel.id, channel);
    channel.start();
  }

  async #route(channel: Channel, message: IncomingMessage): Promise<void> {
    const config = this.#options.config();
    const access = config.channels[channel.id as "telegram"] as AccessSettings | undefined;
    const decision = access
      ? decideAccess(access, { id: message.senderId, username: message.username })
      : "deny";
    if (decision !== "allow") {
      channel.countRejected();
      this.#options.logger.info("channel message refused", {
        channel: channel.id,
        senderId: message.senderId,
        policy: access?.dmPolicy,
      });
      if (decision === "pair") {
        await channel.send(message.chatId, pairingReply(channel.id, message.senderId));
      }
      return;
    }
    const agentId = agentForKey(config, `${channel.id}:${message.chatId}`);
    let answer: string;
    try {
      answer = await this.#options.runTurn(
        { agentId, sessionId: `${channel.id}-${message.chatId}`, message: message.text },
        this.#controller.signal,
      );
    } catch (error) {
      if (this.#controller.signal.aborted) return;
      // The sender may be anyone the policy lets in: the details go to the log, not the chat.
      this.#options.logger.warn("channel turn failed", {
        channel: channel.id,
        agentId,
        error: (error as Error).message,
      });
      answer = "Sorry, something went wrong while answering. The gateway's log has the details.";
    }
    await channel.send(message.chatId, answer.trim() || "(no answer)");
  }
}

/** The channels `config` declares, as they read before they start. */
export function declaredChannels(config: Config): Map<string, Channel> {
  const webchat = new WebchatChannel(() => config.channels.webchat.enabled);
  const channels = new Map<string, Channel>([[webchat.id, webchat]]);
  const telegram = config.channels.telegram;
  if (telegram) {
    const state = !telegram.enabled ? "disabled" : telegram.botToken ? "stopped" : "unconfigured";
    channels.set("telegram", placeholder(state));
  }
  return channels;
}

/** A channel that is off, lacks what it needs to start, is restarting, or is not started. */
function placeholder(state: "disabled" | "unconfigured" | "starting" | "stopped"): Channel {
  return {
    id: "telegram",
    type: "telegram",
    name: "Telegram",
    start() {},
    stop: () => Promise.resolve(),
    send: () => Promise.reject(new Error(`The telegram channel is ${state}`)),
    countRejected() {},
    status: () => ({
      channel_id: "telegram",
      name: "Telegram",
      type: "telegram",
      running: false,
      status: state,
    }),
  };
}
