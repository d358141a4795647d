import {
  contextBudget,
  DEFAULT_CONTEXT_WINDOW,
  estimateMessageTokens,
  estimateTextTokens,
  fitToBudget,
  knownContextWindow,
} from "../../agent/context_window.ts";
import type { ResolvedModel } from "../../agent/providers/registry.ts";
import type { ChatMessage } from "../../agent/providers/types.ts";
import { configSchema } from "../../core/config/schema.ts";
import { historyToMessages, type ResolvedMessage } from "../../agent/prompt.ts";
import { estimateStoredTokens } from "../../agent/session_context.ts";
import type { SessionMessage } from "../../agent/sessions/session_store.ts";
import { withoutImages } from "../../agent/turn_input.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";

Deno.test("knownContextWindow matches the longest prefix, with provider prefixes stripped", () => {
  assertEquals(knownContextWindow("gpt-4o-mini-2024-07-18"), 128_000);
  assertEquals(knownContextWindow("openai/gpt-4"), 8_192);
  assertEquals(knownContextWindow("claude-sonnet-4-5"), 200_000);
  assertEquals(knownContextWindow("my-own-model"), undefined);
});

Deno.test("contextBudget prefers the config entry, then the table, then the default", () => {
  const config = configSchema().parse({});
  const model = (id: string, entry?: ResolvedModel["entry"]) =>
    ({ model: id, providerId: "p", provider: { api: "openai" }, entry }) as ResolvedModel;
  assertEquals(
    contextBudget(model("gpt-4o", { id: "gpt-4o", contextWindow: 10_000 }), config).window,
    10_000,
  );
  assertEquals(contextBudget(model("gpt-4o"), config).window, 128_000);
  const unknown = contextBudget(model("mystery"), config);
  assertEquals(unknown.window, DEFAULT_CONTEXT_WINDOW);
  assert(unknown.prompt + unknown.reserve < unknown.window, "room for the answer and a margin");
});

Deno.test("estimateTextTokens counts CJK characters as a token each", () => {
  assertEquals(estimateTextTokens("abcdefgh"), 2);
  assertEquals(estimateTextTokens("你好世界"), 4);
});

Deno.test("fitToBudget cuts the largest tool output first and says so", () => {
  const messages: ChatMessage[] = [
    { role: "system", content: "system" },
    { role: "user", content: "question" },
    { role: "assistant", content: "", toolCalls: [{ id: "a", name: "exec", arguments: "{}" }] },
    { role: "tool", toolCallId: "a", name: "exec", content: "x".repeat(40_000) },
    { role: "user", content: "next question" },
  ];
  const fitted = fitToBudget(messages, 2_000);
  const total = fitted.reduce((n, m) => n + estimateMessageTokens(m), 0);
  assert(total <= 2_000, `fits: ${total}`);
  assertEquals(fitted.length, messages.length);
  assert(String(fitted[3].content).includes("cut to fit the model's context window"));
  assertEquals(fitted[4].content, "next question");
  assertEquals(fitToBudget(messages, 1_000_000), messages);
});

Deno.test("fitToBudget reads no message when the caller's bound fits the budget", () => {
  const unread = {
    role: "user",
    get content(): string {
      throw new Error("estimated again");
    },
  } as ChatMessage;
  const messages = [unread];
  assertEquals(fitToBudget(messages, 1_000, 1_000), messages);
});

Deno.test("a stored message's kept estimate bounds what the provider gets of it", () => {
  const stored: SessionMessage[] = [
    { role: "user", content: "question ".repeat(50), time: "t" },
    {
      role: "assistant",
      content: "calling",
      time: "t",
      // One call answered, one left without its result (dropped on the way to the provider).
      toolCalls: [
        { id: "a", name: "exec", arguments: '{"command":"ls"}' },
        { id: "b", name: "exec", arguments: "{}".repeat(100) },
      ],
    },
    { role: "tool", toolCallId: "a", name: "exec", content: "out ".repeat(300), time: "t" },
    {
      role: "user",
      content: [{ type: "text", text: "look" }, {
        type: "image",
        mimeType: "image/png",
        file: "a.png",
      }],
      time: "t",
    },
  ];
  const bound = stored.reduce((n, message) => n + estimateStoredTokens(message), 0);
  const sent = historyToMessages(
    stored.map((message) =>
      Array.isArray(message.content)
        ? {
          ...message,
          content: [{ type: "text" as const, text: "look" }, {
            type: "text" as const,
            text: "[image: a.png]",
          }],
        }
        : message
    ) as ResolvedMessage[],
  );
  const withImage = historyToMessages(stored as ResolvedMessage[]);
  for (const messages of [sent, withImage, sent.map(withoutImages)]) {
    const estimate = messages.reduce((n, m) => n + estimateMessageTokens(m), 0);
    assert(estimate <= bound, `${estimate} <= ${bound}`);
  }
});
