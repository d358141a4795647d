/**
 * @module The long fuzz run: random and malformed frames and params for every method against a
 * real gateway (in this process) with a stand-in provider, the browser family included (real
 * Chromium; the SSRF guard keeps it on loopback-free URLs). Prints answer codes, problems and heap.
 *
 * Usage: node_modules/.bin/deno run -A --no-lock --v8-flags=--expose-gc scripts/fuzz.ts
 *        [--frames 50000] [--seed N] [--no-browser]
 */

import { startChatGateway } from "../tests/_helpers/chat_gateway.ts";
import { METHOD_TABLES } from "../server/rpc_tables.ts";
import {
  FUZZ_CONFIG,
  methodPool,
  paramKeys,
  realMethodNames,
  Rng,
} from "../tests/reliability/_fuzz.ts";
import { fuzzSocket, openFuzzSocket } from "../tests/reliability/_fuzz_client.ts";

const flag = (name: string, fallback: number) => {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const FRAMES = flag("frames", 50_000);
const SEED = flag("seed", Date.now() % 1_000_000);
const browser = !Deno.args.includes("--no-browser");
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const heapMiB = () => {
  gc();
  return Math.round(Deno.memoryUsage().heapUsed / 1024 / 102.4) / 10;
};

const env = await startChatGateway({
  config: {
    ...FUZZ_CONFIG,
    browser: browser ? { executablePath: "/usr/bin/chromium" } : { enabled: false },
  },
});
env.upstream.setDefault({ text: "ok" });
const options = { methods: methodPool(realMethodNames()), keys: paramKeys(METHOD_TABLES) };
const rng = new Rng(SEED);
const socket = await openFuzzSocket(env.gw.url, env.gw.token);
const totals: Record<string, number> = {};
const problems: unknown[] = [];
const started = Date.now();
let heapAfterWarmup = 0;
const chunk = 5_000;
try {
  for (let done = 0; done < FRAMES; done += chunk) {
    const report = await fuzzSocket(socket, rng, {
      ...options,
      count: Math.min(chunk, FRAMES - done),
      batch: 250,
      timeoutMs: 30_000,
      start: done,
    });
    // The stand-in keeps every request for test assertions; the gateway is what is measured.
    env.upstream.requests.length = 0;
    for (const [code, n] of Object.entries(report.codes)) totals[code] = (totals[code] ?? 0) + n;
    problems.push(...report.problems);
    if (done === 0) heapAfterWarmup = heapMiB();
    console.error(`${done + chunk} frames, ${problems.length} problems, heap ${heapMiB()} MiB`);
  }
} finally {
  socket.close();
}
const heapEnd = heapMiB();
await env.close();
console.log(JSON.stringify(
  {
    seed: SEED,
    frames: FRAMES,
    browser,
    seconds: Math.round((Date.now() - started) / 1000),
    codes: totals,
    problems: problems.slice(0, 20),
    problemCount: problems.length,
    heapAfterWarmupMiB: heapAfterWarmup,
    heapEndMiB: heapEnd,
  },
  null,
  2,
));
Deno.exit(problems.length ? 1 : 0);
