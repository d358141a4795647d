/**
 * @module Benchmark: `browser.start` to ready and `browser.screenshot` through a real gateway
 * (what a client sees), side by side with playwright-core driving the same Chromium directly.
 * Targets: start ≤ 1.5 s, screenshot p50 ≤ 150 ms.
 *
 * Usage: `deno run -A scripts/bench/browser.ts [--rounds N] [--shots N]`. Each round starts the
 * browser, opens a served page, takes `shots` screenshots and stops it; the first pyclaw start
 * also pays for loading playwright-core, so it is reported on its own.
 */

import { join } from "node:path";
import { ConfigStore } from "../../core/config/store.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import { GatewayClient } from "../../core/protocol/client.ts";
import { startGateway } from "../../server/gateway.ts";
import { findBrowserExecutable } from "../../tools/browser/executable.ts";
import { CHROMIUM_FLAGS } from "../../tools/browser/session.ts";

const args = Object.fromEntries(
  Deno.args.flatMap((arg, i, all) => arg.startsWith("--") ? [[arg.slice(2), all[i + 1]]] : []),
);
const rounds = Number(args.rounds ?? 5);
const shots = Number(args.shots ?? 20);

const site = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
  new Response(
    `<!doctype html><title>Bench</title><h1>Benchmark page</h1>` +
      `<p>${"Some text to render. ".repeat(200)}</p>`,
    { headers: { "content-type": "text/html" } },
  ));
const pageUrl = `http://127.0.0.1:${site.addr.port}/`;

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number) => `${value.toFixed(0)} ms`;

// pyclaw: a gateway on an ephemeral port and a protocol client.
const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-bench-browser-" });
const env = { PYCLAW_STATE_DIR: stateDir };
const paths = statePaths(stateDir);
const configStore = await ConfigStore.open(join(stateDir, "pyclaw.json"), { env, watch: false });
const logger = new Logger({ consoleLevel: "silent" });
const token = "bench-token-0123456789abcdef";
const gateway = await startGateway({
  configStore,
  paths,
  logger,
  env,
  port: 0,
  bind: "127.0.0.1",
  authToken: token,
  httpPort: false,
});
const client = await GatewayClient.connect(gateway.url, { token, clientName: "bench" });

// Direct: playwright-core alone, same executable, flags and viewport.
const executable = await findBrowserExecutable({ env: Deno.env.toObject() });
const directDir = join(stateDir, "direct-profile");

const pyclaw = { starts: [] as number[], shots: [] as number[] };
const direct = { starts: [] as number[], shots: [] as number[] };

async function pyclawRound() {
  const began = performance.now();
  await client.request("browser.start");
  pyclaw.starts.push(performance.now() - began);
  await client.request("browser.open", { url: pageUrl });
  for (let i = 0; i < shots; i++) {
    const shot = performance.now();
    await client.request("browser.screenshot");
    pyclaw.shots.push(performance.now() - shot);
  }
  await client.request("browser.stop");
}

async function directRound() {
  // Imported after pyclaw's first start, so that start pays for loading it, as in a gateway.
  const { chromium } = await import("playwright-core");
  const began = performance.now();
  const context = await chromium.launchPersistentContext(directDir, {
    executablePath: executable.path,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  direct.starts.push(performance.now() - began);
  const page = await context.newPage();
  await page.goto(pageUrl);
  for (let i = 0; i < shots; i++) {
    const shot = performance.now();
    await page.screenshot({ type: "png" });
    direct.shots.push(performance.now() - shot);
  }
  await context.close();
}

// Alternating rounds, so a busy moment on the machine hits both sides alike.
for (let round = 0; round < rounds; round++) {
  await pyclawRound();
  await directRound();
}
client.close();
await client.closed;
await gateway.close();
configStore.close();
logger.close();
await site.shutdown();
await Deno.remove(stateDir, { recursive: true });

const warmStarts = pyclaw.starts.slice(1);
console.log(`browser bench: ${rounds} rounds, ${shots} screenshots each, ${executable.path}`);
console.log(`                              pyclaw    direct   ratio   target`);
const row = (name: string, ours: number, theirs: number, target: string) =>
  console.log(
    `${name.padEnd(28)}${ms(ours).padStart(9)}${ms(theirs).padStart(10)}` +
      `${(ours / theirs).toFixed(2).padStart(8)}   ${target}`,
  );
row("first start (cold import)", pyclaw.starts[0], direct.starts[0], "(direct: warm import)");
if (warmStarts.length) {
  row("start to ready p50", p50(warmStarts), p50(direct.starts.slice(1)), "<= 1500 ms");
}
row("screenshot p50", p50(pyclaw.shots), p50(direct.shots), "<= 150 ms");
