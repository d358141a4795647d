/**
 * @module What idle clients cost a streamed turn: the same turns (a stand-in upstream streaming
 * `chunks` deltas each) run on a gateway core with no other client, then with `idle` connected
 * clients that never touched the session, and the ratio is printed (the target is ≤ 1.1×). The
 * clients are attached over in-memory links, so what is measured is the gateway's own work per
 * event (routing, serialising, sending), not the kernel's.
 *
 * Usage: deno run -A scripts/bench/fanout.ts [--idle 1000] [--turns 20] [--chunks 200]
 */

import { join } from "node:path";
import { ConfigStore } from "../../core/config/store.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import { GatewayClient } from "../../core/protocol/client.ts";
import { createLinkedPair } from "../../core/protocol/transport.ts";
import { startGatewayCore } from "../../server/gateway_core.ts";
import { startFakeOpenAI } from "../../tests/_helpers/fake_openai.ts";
import { flag, median } from "./_common.ts";

const idle = flag("idle", 1000);
const turns = flag("turns", 20);
const chunks = flag("chunks", 200);

const upstream = await startFakeOpenAI({ apiKey: "sk-fake" });
upstream.setDefault({ chunks: Array.from({ length: chunks }, (_, i) => `w${i} `) });
setInterval(() => upstream.requests.splice(0), 1_000);

/** Milliseconds per turn (median) with `others` idle clients connected. */
async function measure(others: number): Promise<number> {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-bench-fanout-" });
  const configPath = join(stateDir, "pyclaw.json");
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({
      logging: { consoleLevel: "silent", level: "warn" },
      models: {
        providers: { fake: { api: "openai", baseUrl: upstream.url, apiKey: "sk-fake" } },
      },
      agents: { defaults: { model: "fake/gpt-test" } },
    }),
  );
  const env = { PYCLAW_STATE_DIR: stateDir };
  const paths = statePaths(stateDir);
  const configStore = await ConfigStore.open(configPath, { env, watch: false });
  const logger = new Logger({ file: paths.logFile, level: "warn", consoleLevel: "silent" });
  const authToken = "bench-token-0123456789abcdef";
  const core = await startGatewayCore({
    configStore,
    paths,
    logger,
    env,
    bindHost: "127.0.0.1",
    authToken,
  });
  const connect = async () => {
    const [server, client] = createLinkedPair();
    core.attach(server, { address: "127.0.0.1", local: true });
    const gatewayClient = new GatewayClient(client);
    await gatewayClient.handshake({ clientName: "bench", token: authToken });
    return gatewayClient;
  };
  const clients = [];
  for (let i = 0; i < others; i++) clients.push(await connect());
  const sender = await connect();
  const times: number[] = [];
  for (let turn = 0; turn < turns + 2; turn++) {
    const started = performance.now();
    await sender.request("chat.send", { message: `turn ${turn}`, sessionId: `bench-${turn}` });
    if (turn >= 2) times.push(performance.now() - started); // the first two warm up
  }
  for (const client of [...clients, sender]) client.close();
  await core.close();
  configStore.close();
  logger.close();
  await Deno.remove(stateDir, { recursive: true });
  return median(times);
}

const alone = await measure(0);
const crowded = await measure(idle);
console.log(`turn of ${chunks} deltas, median of ${turns}:`);
console.log(`  no other client       ${alone.toFixed(1)} ms`);
console.log(`  ${idle} idle clients  ${crowded.toFixed(1)} ms`);
console.log(`  ratio                 ${(crowded / alone).toFixed(2)}× (target ≤ 1.10×)`);
await upstream.close();
Deno.exit(0);
