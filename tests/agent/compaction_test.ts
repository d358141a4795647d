import { assert, assertEquals, assertRejects, waitFor } from "../_helpers/assert.ts";
import {
  isSummaryRequest,
  legacySessionText,
  startLongSessionGateway,
} from "../_helpers/long_session.ts";
import { GatewayError } from "../../core/errors.ts";

type Entry = { role: string; content: unknown; keptFrom?: number; messagesCompacted?: number };
type Page = { messages: Entry[]; nextCursor: string | null };

const WINDOW = 8_000;

/** A request's size in tokens, counted generously (four ASCII characters a token). */
function requestTokens(body: { messages: unknown[] }): number {
  return Math.ceil(JSON.stringify(body.messages).length / 4);
}

async function fileEntries(path: string): Promise<Entry[]> {
  return (await Deno.readTextFile(path)).split("\n").filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
}

Deno.test("a long session written as today's JSONL is compacted, and every request fits the window", async () => {
  await using env = await startLongSessionGateway({ contextWindow: WINDOW });
  const original = legacySessionText(600, 200);
  const path = await env.writeSession("long", original);
  const client = await env.gw.connect();

  const result = await client.request("chat.send", {
    sessionId: "long",
    message: "What did we decide?",
  });
  assertEquals(result.completed, true);
  const summaries = env.upstream.requests.filter(isSummaryRequest);
  assert(summaries.length >= 2, `the older turns were summarised in chunks (${summaries.length})`);
  // Before compacting, the memory flush offered the agent its file-writing tools only.
  const flush = env.upstream.requests[0];
  assert(!isSummaryRequest(flush));
  assert(String(flush.body.messages.at(-1).content).startsWith("Pre-compaction memory flush"));
  const flushTools = flush.body.tools.map((t: { function: { name: string } }) => t.function.name);
  assert(
    flushTools.length > 0 &&
      flushTools.every((n: string) => ["write", "edit", "apply_patch"].includes(n)),
    flushTools.join(),
  );
  // A chunk folds into the summary so far.
  assert(JSON.stringify(summaries[1].body.messages).includes("Summary 1"));
  // Big tool outputs were pruned before summarising.
  assert(JSON.stringify(summaries.map((s) => s.body)).includes("pruned for the summary"));
  const turn = env.upstream.requests.at(-1)!;
  assert(!isSummaryRequest(turn));
  for (const request of env.upstream.requests) {
    assert(
      requestTokens(request.body) < WINDOW,
      `request of ${requestTokens(request.body)} tokens`,
    );
  }
  const system = turn.body.messages[0].content as string;
  assert(system.includes(`<summary>\nSummary ${summaries.length}\n</summary>`));
  assertEquals(turn.body.messages.at(-1).content, "What did we decide?");
  // The oldest turns reach the model only through the summary.
  assert(!JSON.stringify(turn.body.messages).includes("Question 0:"));

  // The raw lines stay on disk; the summary is one appended line.
  const text = await Deno.readTextFile(path);
  assert(text.startsWith(original));
  const entries = await fileEntries(path);
  const compaction = entries.find((e) => e.role === "compaction")!;
  assertEquals(compaction.content, `Summary ${summaries.length}`);
  assert(compaction.messagesCompacted! > 500);

  const history = await client.request("chat.history", { sessionId: "long", limit: 4 });
  assert(history.messages.some((m) => m.role === "compaction"), "compaction visible in history");
  assert(history.nextCursor !== null);

  // The next turn starts from the summary: no new summary request.
  const before = env.upstream.requests.length;
  await client.request("chat.send", { sessionId: "long", message: "And then?" });
  assertEquals(env.upstream.requests.length, before + 1);
  const next = env.upstream.requests.at(-1)!;
  assert(String(next.body.messages[0].content).includes(`Summary ${summaries.length}`));
  assert(requestTokens(next.body) < WINDOW);
});

Deno.test("a compaction that fails or is aborted leaves the session as it was", async () => {
  await using env = await startLongSessionGateway({
    contextWindow: WINDOW,
    config: {
      agents: {
        defaults: { model: "fake/gpt-test", compaction: { memoryFlush: { enabled: false } } },
      },
    },
  });
  const original = legacySessionText(300, 200);
  const path = await env.writeSession("fragile", original);
  const client = await env.gw.connect();

  // A refusal that is not retried.
  env.upstream.reply({ error: { status: 400, message: "Bad request" } });
  const failed = await client.request(
    "chat.send",
    { sessionId: "fragile", message: "first try" },
  );
  assertEquals(failed.completed, false);
  const afterFailure = await fileEntries(path);
  assert(!afterFailure.some((e) => e.role === "compaction"));
  // The user's message is kept; nothing older was touched.
  assert((await Deno.readTextFile(path)).startsWith(original));
  assertEquals(afterFailure.at(-1)?.content, "first try");

  // Abort while the summary is being written.
  const asked = env.upstream.requests.filter(isSummaryRequest).length;
  env.upstream.reply({ text: "never used", delayMs: 30_000 });
  const sending = client.request("chat.send", {
    sessionId: "fragile",
    message: "second try",
  });
  await waitFor(
    () => env.upstream.requests.filter(isSummaryRequest).length > asked,
    20_000,
    "the summary request",
  );
  assertEquals(await client.request("chat.abort", { sessionId: "fragile" }), { aborted: true });
  assertEquals((await sending).aborted, true);
  assert(!(await fileEntries(path)).some((e) => e.role === "compaction"));

  // A crash in the middle of writing the compaction line leaves half a line: it is skipped,
  // and the session still works (and compacts properly this time).
  await Deno.writeTextFile(path, '{"role":"compaction","content":"Half a summ', { append: true });
  const turn = await client.request("chat.send", {
    sessionId: "fragile",
    message: "third try",
  });
  assertEquals(turn.completed, true);
  const entries = await fileEntries(path);
  assertEquals(entries.filter((e) => e.role === "compaction").length, 1);
  assert((await Deno.readTextFile(path)).startsWith(original));
});

Deno.test("sessions.compact compacts by hand, once however many ask at the same time", async () => {
  await using env = await startLongSessionGateway();
  const client = await env.gw.connect();
  for (let i = 0; i < 6; i++) {
    await client.request("chat.send", { sessionId: "hand", message: `message ${i}` });
  }
  const path = env.gw.paths.sessionsDir("main") + "/hand.jsonl";
  const before = env.upstream.requests.length;
  // A slow summary, so that the second request arrives while the first compaction runs.
  env.upstream.reply({ text: "Summary 1", delayMs: 300 });
  // By hand, the last turn is kept and the five before it are summarised.
  const [first, second] = await Promise.all([
    client.request("sessions.compact", { path }),
    client.request("sessions.compact", { path }),
  ]);
  assertEquals([first.compacted, second.compacted], [true, true]);
  const summaries = env.upstream.requests.slice(before).filter(isSummaryRequest);
  assertEquals(summaries.length, 1);
  assert(JSON.stringify(summaries[0].body.messages).includes("message 0"));
  const compactions = (await fileEntries(path)).filter((e) => e.role === "compaction");
  assertEquals(compactions.length, 1);

  await client.request("chat.send", { sessionId: "hand", message: "after" });
  const turn = env.upstream.requests.at(-1)!;
  assert(String(turn.body.messages[0].content).includes("<summary>\nSummary 1\n</summary>"));
  assert(!JSON.stringify(turn.body.messages.slice(1)).includes("message 0"));

  const missing = await assertRejects(
    () => client.request("sessions.compact", { path: "agents/main/sessions/none.jsonl" }),
    GatewayError,
  );
  assertEquals(missing.code, "NOT_FOUND");
});
