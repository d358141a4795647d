/**
 * @module A provider call's idle timeout (agent/providers/_idle_watch.ts, one timer shared by all
 * calls): it measures quiet, not the whole answer, and each call keeps its own timeout.
 */

import { assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { createOpenAiProvider } from "../../../agent/providers/openai_compat.ts";
import { type ChatProvider, ProviderError } from "../../../agent/providers/types.ts";
import { unwatchIdle, watchIdle } from "../../../agent/providers/_idle_watch.ts";

const provider = (baseUrl: string, timeoutMs: number): ChatProvider =>
  createOpenAiProvider({ id: "fake", api: "openai", baseUrl, timeoutMs });

async function answer(target: ChatProvider): Promise<string> {
  let text = "";
  for await (const event of target.stream({ model: "m", messages: [] })) {
    if (event.type === "text") text += event.text;
  }
  return text;
}

Deno.test("a stream that keeps sending outlives its idle timeout", async () => {
  await using upstream = await startFakeOpenAI();
  const chunks = Array.from({ length: 12 }, (_, i) => `w${i} `);
  upstream.reply({ chunks, chunkDelayMs: 100 });
  // 1.2 s of answer against a 1 s timeout: only quiet counts.
  assertEquals(await answer(provider(upstream.url, 1_000)), chunks.join(""));
});

Deno.test("a stream that goes quiet mid-answer fails with a timeout", async () => {
  await using upstream = await startFakeOpenAI();
  upstream.reply({ chunks: ["never "], chunkDelayMs: 5_000 });
  const error = await assertRejects(
    () => answer(provider(upstream.url, 200)),
    ProviderError,
    "did not answer within 200 ms",
  );
  assertEquals(error.kind, "timeout");
});

Deno.test("a short timeout fires on time while a call with a long one waits", async () => {
  await using slow = await startFakeOpenAI();
  await using quiet = await startFakeOpenAI();
  // The long call's answer waits until the short one has failed: a fixed 1.5 s delay was a race
  // against the short call's whole run on a busy machine.
  const shortFailed = Promise.withResolvers<void>();
  slow.reply({ text: "late", holdAfter: 0, release: shortFailed.promise });
  quiet.reply({ text: "later", delayMs: 10_000 });
  let slowDone = false;
  // The long call arms the shared timer first, for a minute from now.
  const slowAnswer = answer(provider(slow.url, 60_000)).finally(() => (slowDone = true));
  await waitFor(() => slow.requests.length === 1, 20_000, "the long call to reach its upstream");
  const error = await assertRejects(
    () => answer(provider(quiet.url, 150)),
    ProviderError,
    "did not answer within 150 ms",
  );
  assertEquals([error.kind, slowDone], ["timeout", false]);
  shortFailed.resolve();
  assertEquals(await slowAnswer, "late");
});

Deno.test("a call no longer watched is never timed out, and the calls beside it still are", async () => {
  const fired: string[] = [];
  const both = Promise.withResolvers<void>();
  const onIdle = (name: string) => () => {
    fired.push(name);
    if (fired.length === 2) both.resolve();
  };
  // Same timeout: all four would go in the same sweep. The first leaves and the last takes its
  // place in the list; then that one leaves from its new place; leaving again changes nothing.
  const first = watchIdle(40, onIdle("first"));
  watchIdle(40, onIdle("second"));
  watchIdle(40, onIdle("third"));
  const fourth = watchIdle(40, onIdle("fourth"));
  unwatchIdle(first);
  unwatchIdle(fourth);
  unwatchIdle(first);
  // The shared timer keeps no process alive (a call in flight does): this one stands in.
  const alive = setInterval(() => {}, 1_000);
  await both.promise.finally(() => clearInterval(alive));
  assertEquals(fired.sort(), ["second", "third"]);
});
