/**
 * @module Long sessions for tests and benchmarks: JSONL files written the way users' session
 * files are today (user, assistant with tool calls, tool results), and a gateway whose model has
 * a small context window so that a few hundred messages already overflow it.
 */

import { join } from "node:path";
import { startFakeOpenAI } from "./fake_openai.ts";
import type { FakeProvider, RecordedRequest } from "./fake_script.ts";
import { startTestGateway, type TestGateway } from "./gateway.ts";

/** The first words of the compaction prompt, which tells summary requests apart. */
export const SUMMARY_MARK = "You compact a long conversation";

/** True for a request that asks for a compaction summary. */
export function isSummaryRequest(request: RecordedRequest): boolean {
  return String(request.body?.messages?.[0]?.content ?? "").startsWith(SUMMARY_MARK);
}

/**
 * JSONL text of a session with `messages` lines: turns of user → assistant, every fifth with a
 * tool call and a large tool output. `chars` is the length of each text.
 */
export function legacySessionText(messages: number, chars = 200): string {
  const lines: string[] = [];
  const time = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  for (let turn = 0; lines.length < messages; turn++) {
    const filler = ` lorem ipsum ${turn}`.repeat(Math.ceil(chars / 16)).slice(0, chars);
    lines.push(
      JSON.stringify({ role: "user", content: `Question ${turn}:${filler}`, time: time(turn) }),
    );
    if (turn % 5 === 4 && lines.length + 3 <= messages) {
      const id = `call_${turn}`;
      lines.push(JSON.stringify({
        role: "assistant",
        content: "",
        time: time(turn),
        toolCalls: [{ id, name: "exec", arguments: JSON.stringify({ command: "ls -R /" }) }],
      }));
      lines.push(JSON.stringify({
        role: "tool",
        toolCallId: id,
        name: "exec",
        content: `output ${turn}\n`.repeat(chars * 2),
        time: time(turn),
      }));
    }
    lines.push(JSON.stringify({
      role: "assistant",
      content: `Answer ${turn}:${filler}`,
      time: time(turn),
      provider: "fake",
      model: "gpt-test",
      usage: { promptTokens: 10, completionTokens: 10, totalTokens: 20 },
    }));
  }
  return lines.slice(0, messages).join("\n") + "\n";
}

/** A gateway whose model `fake/gpt-test` has `contextWindow` tokens. */
export interface LongSessionGateway {
  gw: TestGateway;
  upstream: FakeProvider;
  /** Writes a session file for agent `main` and returns its path. */
  writeSession(sessionId: string, text: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a stand-in upstream that answers summary requests with `Summary <n>` and other turns
 * with `Answer <n>`, and a gateway using it.
 */
export async function startLongSessionGateway(
  options: { contextWindow?: number; config?: Record<string, unknown> } = {},
): Promise<LongSessionGateway> {
  const upstream = await startFakeOpenAI({ apiKey: "sk-fake" });
  let summaries = 0;
  let answers = 0;
  upstream.setDefault((request) =>
    isSummaryRequest(request) ? { text: `Summary ${++summaries}` } : { text: `Answer ${++answers}` }
  );
  const model: Record<string, unknown> = { id: "gpt-test" };
  if (options.contextWindow) model.contextWindow = options.contextWindow;
  const gw = await startTestGateway({
    config: {
      models: {
        providers: { fake: { baseUrl: upstream.url, apiKey: "sk-fake", models: [model] } },
      },
      agents: { defaults: { model: "fake/gpt-test" } },
      ...options.config,
    },
  }).catch(async (error) => {
    await upstream.close();
    throw error;
  });
  return {
    gw,
    upstream,
    async writeSession(sessionId, text) {
      const dir = gw.paths.sessionsDir("main");
      await Deno.mkdir(dir, { recursive: true });
      const path = join(dir, `${sessionId}.jsonl`);
      await Deno.writeTextFile(path, text);
      return path;
    },
    async [Symbol.asyncDispose]() {
      await gw.close();
      await upstream.close();
    },
  };
}
