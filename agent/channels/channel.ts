/** @module What every chat channel offers the channel manager: start, stop, send, and status. */

/** A channel's state, as `channels.list` and `channels.status` show it. */
export type ChannelState =
  | "running"
  | "starting"
  | "reconnecting"
  | "error"
  | "stopped"
  | "disabled"
  | "unconfigured";

/** Counters a channel keeps while it runs. */
export interface ChannelMetrics {
  received: number;
  sent: number;
  /** Messages refused by `allowFrom` / `dmPolicy`. */
  rejected: number;
  errors: number;
  reconnects: number;
  lastMessageAt?: string;
  lastError?: string;
  /** When the channel will try again, while reconnecting. */
  nextRetryAt?: string;
}

/** What `channels.status` returns for one channel. */
export interface ChannelStatus {
  channel_id: string;
  name: string;
  type: string;
  running: boolean;
  status: ChannelState;
  metrics?: ChannelMetrics;
}

/** A message that arrived on a channel. */
export interface IncomingMessage {
  channelId: string;
  /** The conversation to answer in (a Telegram chat id). */
  chatId: string;
  chatType: string;
  senderId: string;
  username?: string;
  senderName?: string;
  text: string;
}

/** One chat channel. */
export interface Channel {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  /** Sends `text` to a conversation; `signal` stops it (the turn that sends was aborted). */
  send(chatId: string, text: string, signal?: AbortSignal): Promise<void>;
  status(): ChannelStatus;
  /** Counts a refused message. */
  countRejected(): void;
}

/** Fresh zeroed counters. */
export function emptyMetrics(): ChannelMetrics {
  return { received: 0, sent: 0, rejected: 0, errors: 0, reconnects: 0 };
}
