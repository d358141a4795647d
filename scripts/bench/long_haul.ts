/**
 * @module Benchmark of a gateway that lives for months: turn overhead in a session of 20,000
 * messages against one of 2,000 (both written as the JSONL files users have today, compacted by
 * their first turn), the gateway's RSS after turns there against a fresh gateway's, and the size
 * of every request the stand-in upstream receives in a session whose raw history is far larger
 * than the model's window. All figures come from one run, side by side.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/long_haul.ts [--turns 30] [--window 16000]
 */

import { join } from "node:path";
import { GatewayClient } from "../../core/protocol/client.ts";
import { startFakeOpenAI } from "../../tests/_helpers/fake_openai.ts";
import { isSummaryRequest, legacySessionText } from "../../tests/_helpers/long_session.ts";
import { flag, freePort, machine, median, root, rssMb, sleep, stopTree, track } from "./_common.ts";

const TURNS = flag("turns", 30);
const SMALL_WINDOW = flag("window", 16_000);
const TOKEN = "bench-token-0123456789abcdef";

const upstream = await startFakeOpenAI();
let answers = 0;
upstream.setDefault((request) =>
  isSummaryRequest(request)
    ? { text: `Summary: the user asked many questions; decisions were made (${answers}).` }
    : { text: `Answer ${++answers}`, usage: { prompt: 20, completion: 2 } }
);

/** A state dir with a config naming the stand-in, and with the long sessions when `long`. */
async function makeState(long: boolean): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-longhaul-" });
  await Deno.writeTextFile(
    join(dir, "pyclaw.json"),
    JSON.stringify({
      gateway: { http: { port: false } },
      logging: { consoleLevel: "warn" },
      update: { enabled: false },
      models: {
        providers: {
          fake: {
            baseUrl: upstream.url,
            apiKey: "sk-bench",
            models: [{ id: "gpt-4o" }, { id: "small", contextWindow: SMALL_WINDOW }],
          },
        },
      },
      // Memory search is off: its indexing is measured by its own bench, not this one.
      agents: { defaults: { model: "fake/gpt-4o", memorySearch: { enabled: false } } },
    }),
  );
  if (!long) return dir;
  const sessions = join(dir, "agents", "main", "sessions");
  await Deno.mkdir(sessions, { recursive: true });
  await Deno.writeTextFile(join(sessions, "s2k.jsonl"), legacySessionText(2_000, 300));
  const big = legacySessionText(20_000, 300);
  await Deno.writeTextFile(join(sessions, "s20k.jsonl"), big);
  await Deno.writeTextFile(join(sessions, "huge.jsonl"), big);
  return dir;
}

async function startGateway(stateDir: string) {
  const port = freePort();
  const child = track(
    new Deno.Command(`${root}scripts/pyclaw`, {
      args: ["gateway", "run", "--port", String(port), "--auth-token", TOKEN],
      env: { PYCLAW_STATE_DIR: stateDir },
      stdout: "null",
      stderr: "null",
    }).spawn(),
  );
  for (let i = 0;; i++) {
    try {
      const client = await GatewayClient.connect(`ws://127.0.0.1:${port}`, { token: TOKEN });
      return { child, client };
    } catch (error) {
      if (i > 300) throw error;
      await sleep(50);
    }
  }
}

/** Milliseconds of each of `turns` chat.send round trips in `sessionId`. */
async function turnTimes(client: GatewayClient, sessionId: string, turns: number, model?: string) {
  const times: number[] = [];
  for (let i = 0; i < turns; i++) {
    const started = performance.now();
    const result = await client.request("chat.send", {
      sessionId,
      message: `Turn ${i}: what next?`,
      ...(model ? { model } : {}),
    }, { timeoutMs: 600_000 });
    times.push(performance.now() - started);
    if (!result.completed) throw new Error(`Turn ${i} in ${sessionId} did not complete`);
  }
  return times;
}

const settle = async (pid: number) => {
  await sleep(1_500);
  return rssMb(pid).tree;
};

console.log(machine());
const freshDir = await makeState(false);
const stateDir = await makeState(true);
try {
  // A fresh gateway: a new state dir, a few turns in a new session.
  const fresh = await startGateway(freshDir);
  await turnTimes(fresh.client, "fresh", 3);
  const freshRss = await settle(fresh.child.pid);
  const freshTimes = await turnTimes(fresh.client, "fresh", TURNS);
  fresh.client.close();
  await stopTree(fresh.child);

  // The long sessions: the first turn compacts them (reading the old lines once), then turns.
  const gw = await startGateway(stateDir);
  const first2k = (await turnTimes(gw.client, "s2k", 1))[0];
  const first20k = (await turnTimes(gw.client, "s20k", 1))[0];
  // Interleaved, so that the machine's load weighs on both alike.
  const times2k: number[] = [];
  const times20k: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    times2k.push(...await turnTimes(gw.client, "s2k", 1));
    times20k.push(...await turnTimes(gw.client, "s20k", 1));
  }
  const afterRss = await settle(gw.child.pid);

  // The window: every request in a session whose raw history is far beyond it.
  const before = upstream.requests.length;
  await turnTimes(gw.client, "huge", 3, "fake/small");
  const sent = upstream.requests.slice(before).map((r) => JSON.stringify(r.body));
  const biggest = Math.max(...sent.map((body) => body.length));
  const rawBytes = (await Deno.stat(join(stateDir, "agents/main/sessions/huge.jsonl"))).size;
  const hugeRss = await settle(gw.child.pid);
  gw.client.close();
  await stopTree(gw.child);

  // Steady state after a restart: a turn in the already compacted 20,000-message session.
  const again = await startGateway(stateDir);
  await turnTimes(again.client, "s20k", 3);
  const steadyRss = await settle(again.child.pid);
  again.client.close();
  await stopTree(again.child);

  const m2k = median(times2k);
  const m20k = median(times20k);
  console.log(`turns measured per session: ${TURNS} (medians; stand-in upstream answers at once)`);
  console.log(`fresh session turn:            ${median(freshTimes).toFixed(2)} ms`);
  console.log(
    `2,000-message session turn:    ${m2k.toFixed(2)} ms (first, compacting: ${
      first2k.toFixed(0)
    } ms)`,
  );
  console.log(
    `20,000-message session turn:   ${m20k.toFixed(2)} ms (first, compacting: ${
      first20k.toFixed(0)
    } ms)`,
  );
  console.log(`ratio 20,000 / 2,000:          ${(m20k / m2k).toFixed(2)}× (target ≤ 1.2×)`);
  console.log(`RSS fresh gateway after turns: ${freshRss.toFixed(1)} MB`);
  console.log(
    `RSS after 20k turns (incl. compaction of 2k+20k): ${afterRss.toFixed(1)} MB (+${
      (afterRss - freshRss).toFixed(1)
    } MB)`,
  );
  console.log(
    `RSS after also compacting a third 20k session: ${hugeRss.toFixed(1)} MB (+${
      (hugeRss - freshRss).toFixed(1)
    } MB)`,
  );
  console.log(
    `RSS restarted, turns in compacted 20k session:  ${steadyRss.toFixed(1)} MB (+${
      (steadyRss - freshRss).toFixed(1)
    } MB, target ≤ 10 MB)`,
  );
  const tokens = Math.ceil(biggest / 4);
  console.log(
    `window ${SMALL_WINDOW} tokens, raw history ${
      (rawBytes / 4 / SMALL_WINDOW).toFixed(0)
    }× the window: ` +
      `largest request ${biggest} bytes ≈ ${tokens} tokens (${
        (tokens / SMALL_WINDOW * 100).toFixed(0)
      }% of the window, ${sent.length} requests)`,
  );
} finally {
  await upstream.close();
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  await Deno.remove(freshDir, { recursive: true }).catch(() => {});
}
