/**
 * @module The client watch's lists (server/client_signal.ts): requests leave them from any
 * place, in any order, once or twice, and the rest stay watched and are tied to their clients
 * at the tick.
 */

import { assertEquals, waitFor } from "../_helpers/assert.ts";
import {
  CLIENT_TICK_MS,
  requestsUnanswered,
  requestsWatched,
  streamedAnswer,
  watchClient,
} from "../../server/client_signal.ts";

Deno.test("requests that leave the watch lists from any place leave the others tied at the tick", async () => {
  let seed = 11;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  type Entry = { watch: ReturnType<typeof watchClient>; client: AbortController; tied: boolean };
  const all: Entry[] = [];
  const open: Entry[] = [];
  const unansweredBefore = requestsUnanswered();
  for (let i = 0; i < 300; i++) {
    if (next(3) < 2 || open.length === 0) {
      const client = new AbortController();
      const watch = watchClient(new Request("http://127.0.0.1/", { signal: client.signal }));
      const entry = { watch, client, tied: true };
      all.push(entry);
      open.push(entry);
    } else {
      // Any one of them answers, streamed or not, or fails; some twice.
      const entry = open.splice(next(open.length), 1)[0];
      const kind = next(3);
      entry.tied = kind === 0;
      if (kind === 2) entry.watch.forget();
      else entry.watch.answered(kind === 0 ? streamedAnswer(new Response("")) : new Response(""));
      if (next(4) === 0) entry.watch.forget();
    }
  }
  assertEquals(requestsWatched(), open.length);
  assertEquals(requestsUnanswered() - unansweredBefore, open.length);
  await waitFor(() => requestsWatched() === 0, undefined, "the ticks to tie the open requests");
  // Tied to their clients, but still unanswered (what the collection after work waits for).
  assertEquals(requestsUnanswered() - unansweredBefore, open.length);
  for (const entry of all) entry.client.abort();
  assertEquals(all.map((e) => e.watch.signal.aborted), all.map((e) => e.tied));
  // Answered, twice for some: each counts off once.
  for (const [i, entry] of open.entries()) {
    entry.watch.answered(new Response(""));
    if (i % 2) entry.watch.forget();
  }
  assertEquals(requestsUnanswered(), unansweredBefore);
});

Deno.test("requests that leave after a tick moved them to the old list leave it, and the rest are tied", async () => {
  const unansweredBefore = requestsUnanswered();
  const clients = Array.from({ length: 5 }, () => new AbortController());
  const watches = clients.map((client) =>
    watchClient(new Request("http://127.0.0.1/", { signal: client.signal }))
  );
  // The tick was armed with the first watch and the same delay, so it fires first: all five
  // are now in the old list, and the next tick, CLIENT_TICK_MS later, ties what is left in it.
  await new Promise((resolve) => setTimeout(resolve, CLIENT_TICK_MS));
  watches[1].answered(new Response(""));
  watches[2].answered(streamedAnswer(new Response("")));
  watches[3].forget();
  assertEquals(requestsWatched(), 2);
  await waitFor(() => requestsWatched() === 0, undefined, "the next tick to tie the rest");
  for (const client of clients) client.abort();
  assertEquals(watches.map((watch) => watch.signal.aborted), [true, false, true, false, true]);
  assertEquals(requestsUnanswered() - unansweredBefore, 2);
  watches[0].forget();
  watches[4].answered(new Response(""));
  assertEquals(requestsUnanswered(), unansweredBefore);
});
