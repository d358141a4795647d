/**
 * @module A real test gateway wired to a stand-in model provider, and an event recorder for a
 * client: what chat, cron, channel and tool tests need to run agent turns end to end.
 *
 * @example
 * ```ts
 * await using env = await startChatGateway();
 * env.upstream.reply({ text: "Hello" });
 * const client = await env.gw.connect();
 * const events = recordEvents(client);
 * await client.request("chat.send", { message: "Hi" });
 * assertEquals(events.named("chat.delta").map((p) => p.delta).join(""), "Hello");
 * ```
 */

import type { GatewayClient } from "../../core/protocol/client.ts";
import type { EventFrame } from "../../core/protocol/frames.ts";
import { startFakeAnthropic } from "./fake_anthropic.ts";
import { startFakeOpenAI } from "./fake_openai.ts";
import type { FakeProvider } from "./fake_script.ts";
import { startTestGateway, type TestGateway, type TestGatewayOptions } from "./gateway.ts";
import {
  type InProcessGateway,
  type InProcessGatewayOptions,
  startInProcessGateway,
} from "./in_process_gateway.ts";

/** Options of {@linkcode startChatGateway}. */
export interface ChatGatewayOptions extends TestGatewayOptions {
  /** Which wire format the stand-in speaks. @default "openai" */
  wire?: "openai" | "anthropic";
  /** Provider id in config. @default "fake" (or "anthropic" for that wire) */
  providerId?: string;
  /** Models listed under the provider; the first is the default model. @default ["gpt-test"] */
  models?: string[];
  /** Merged over the generated config (top-level keys replace). */
  config?: Record<string, unknown>;
}

/** A gateway whose default agent talks to a stand-in upstream. */
export interface ChatGateway<G = TestGateway> {
  gw: G;
  upstream: FakeProvider;
  providerId: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a stand-in upstream and a gateway configured to use it (API key `sk-fake`); with
 * `inProcess`, the gateway's core with in-memory clients (see in_process_gateway.ts).
 */
export function startChatGateway(
  options: ChatGatewayOptions & Pick<InProcessGatewayOptions, "clock"> & { inProcess: true },
): Promise<ChatGateway<InProcessGateway>>;
export function startChatGateway(
  options?: ChatGatewayOptions & { inProcess?: false },
): Promise<ChatGateway<TestGateway>>;
export async function startChatGateway(
  options: ChatGatewayOptions & Pick<InProcessGatewayOptions, "clock"> & { inProcess?: boolean } =
    {},
): Promise<ChatGateway<TestGateway | InProcessGateway>> {
  const wire = options.wire ?? "openai";
  const providerId = options.providerId ?? (wire === "anthropic" ? "anthropic" : "fake");
  const models = options.models ?? [wire === "anthropic" ? "claude-test" : "gpt-test"];
  const upstream = wire === "anthropic"
    ? await startFakeAnthropic({ apiKey: "sk-fake" })
    : await startFakeOpenAI({ apiKey: "sk-fake" });
  const config = {
    models: {
      providers: {
        [providerId]: {
          api: wire,
          baseUrl: upstream.url,
          apiKey: "sk-fake",
          models: models.map((id) => ({ id, cost: { input: 1, output: 2 } })),
        },
      },
    },
    agents: { defaults: { model: `${providerId}/${models[0]}` } },
    ...options.config,
  };
  let gw: TestGateway | InProcessGateway;
  try {
    gw = options.inProcess
      ? await startInProcessGateway({ ...options, config })
      : await startTestGateway({ ...options, config });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  const close = async () => {
    await gw.close();
    await upstream.close();
  };
  return { gw, upstream, providerId, close, [Symbol.asyncDispose]: close };
}

/** Every event a client receives, with helpers to wait for and filter them. */
export interface EventRecorder {
  frames: EventFrame[];
  /** Payloads of the events named `event`, in order. */
  // deno-lint-ignore no-explicit-any
  named(event: string): any[];
  /** Resolves with the first event named `event` (already received or not) matching `where`. */
  // deno-lint-ignore no-explicit-any
  next(event: string, where?: (payload: any) => boolean, timeoutMs?: number): Promise<any>;
  stop(): void;
}

/** Starts recording a client's events. */
export function recordEvents(client: GatewayClient): EventRecorder {
  const frames: EventFrame[] = [];
  const waiters = new Set<() => void>();
  const stop = client.onEvent((frame) => {
    frames.push(frame);
    for (const waiter of [...waiters]) waiter();
  });
  return {
    frames,
    named: (event) => frames.filter((f) => f.event === event).map((f) => f.payload),
    next(event, where = () => true, timeoutMs = 20_000) {
      const find = () =>
        frames.find((f) => f.event === event && where(f.payload as Record<string, unknown>));
      const found = find();
      if (found) return Promise.resolve(found.payload);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Timed out waiting for event ${event}`));
        }, timeoutMs);
        const check = () => {
          const hit = find();
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit.payload);
        };
        waiters.add(check);
      });
    },
    stop,
  };
}
