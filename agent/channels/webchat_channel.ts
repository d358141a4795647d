/**
 * @module The webchat channel: the gateway's own web chat (the control UI and any WebSocket
 * client using `chat.*`). Its messages arrive as RPC calls, not through the manager, so the
 * channel only reports whether it is on (`channels.webchat.enabled`).
 */

import type { Channel, ChannelStatus } from "./channel.ts";

export class WebchatChannel implements Channel {
  readonly id = "webchat";
  readonly type = "webchat";
  readonly name = "Web chat";
  #enabled: () => boolean;
  #started = false;

  constructor(enabled: () => boolean) {
    this.#enabled = enabled;
  }

  start(): void {
    this.#started = true;
  }

  stop(): Promise<void> {
    this.#started = false;
    return Promise.resolve();
  }

  send(): Promise<void> {
    // Web clients receive replies as chat.* events of their session; nothing to push here.
    return Promise.resolve();
  }

  countRejected(): void {}

  status(): ChannelStatus {
    const running = this.#started && this.#enabled();
    return {
      channel_id: this.id,
      name: this.name,
      type: this.type,
      running,
      status: !this.#enabled() ? "disabled" : running ? "running" : "stopped",
    };
  }
}
