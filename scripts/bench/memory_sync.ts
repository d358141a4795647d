/**
 * @module Benchmark of what a turn costs the gateway's main thread, its background memory sync
 * included, as the sessions pile up (issue 17: a cost must not grow with a deployment's age).
 * Gateways whose agent holds 50 and `--sessions` session files (two lines each, as months of
 * channel, cron and heartbeat sessions leave them), memory search on (its default) with a short
 * sync debounce, run turns far enough apart that each turn's sync runs before the next turn;
 * the main thread's CPU time per turn comes from `/proc/<pid>/task/<pid>/schedstat`.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/memory_sync.ts [--sessions 5000]
 *        [--turns 15] [--tree DIR]
 */

import { join } from "node:path";
import { startFakeOpenAI } from "../../tests/_helpers/fake_openai.ts";
import { quiet, start } from "./_starts.ts";
import {
  cpuMs,
  flag,
  machine,
  printTable,
  sleep,
  spawnGateway,
  stopTree,
  treeFlag,
  wsSession,
} from "./_common.ts";

const SESSIONS = flag("sessions", 5_000);
const TURNS = flag("turns", 15);
const tree = treeFlag();
const TOKEN = "bench-token-0123456789abcdef";
/** The sync runs this long after a turn; turns come `GAP_MS` apart, well after it. */
const DEBOUNCE_MS = 200;
const GAP_MS = 600;

const upstream = await startFakeOpenAI();
upstream.setDefault({ chunks: ["Hel", "lo"], text: "Hello" });

/** Main-thread CPU ms per turn of a gateway whose agent holds `sessions` old sessions. */
async function cpuPerTurn(sessions: number): Promise<number> {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-memsync-" });
  const folder = join(stateDir, "agents", "main", "sessions");
  await Deno.mkdir(folder, { recursive: true });
  const line = (role: string, content: string) =>
    JSON.stringify({ role, content, time: "2026-11-01T00:00:00.000Z" });
  for (let i = 0; i < sessions; i++) {
    await Deno.writeTextFile(
      join(folder, `old-${i}.jsonl`),
      `${line("user", `question ${i} about topic ${i % 97}`)}\n${
        line("assistant", `answer ${i}`)
      }\n`,
    );
  }
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    JSON.stringify({
      gateway: { http: { port: false } },
      models: {
        providers: {
          fake: { baseUrl: upstream.url, apiKey: "sk-fake", models: [{ id: "gpt-test" }] },
        },
      },
      agents: {
        defaults: {
          model: "fake/gpt-test",
          memorySearch: { sync: { watchDebounceMs: DEBOUNCE_MS } },
        },
      },
      logging: { consoleLevel: "warn", level: "warn" },
      update: { enabled: false },
    }),
  );
  // Up once it answers `/health` (its first answer: the runtime may still be loading).
  const { child: gateway, port } = await start((port) =>
    spawnGateway({ tree, port, token: TOKEN, stateDir })
  );
  try {
    const { socket, call } = await wsSession(`ws://127.0.0.1:${port}`, {
      minProtocol: 3,
      maxProtocol: 3,
      auth: { token: TOKEN },
    });
    const turn = async (message: string) => {
      const reply = await call("chat.send", { sessionId: "now", message });
      if (!reply.ok) throw new Error(`chat.send failed: ${JSON.stringify(reply.error)}`);
    };
    const mainThread = () => cpuMs(gateway.pid, "main");
    // The first turns open the index, whose first sync indexes every session once, in windows
    // over seconds: it must be over before the measured turns, or they time its tail.
    for (let i = 0; i < 3; i++) {
      await turn(`warm ${i}`);
      await sleep(1_000);
    }
    // Stricter than a start's quiet: the first indexing's gaps between windows pass a 250 ms one.
    await quiet(mainThread, { stepMs: 500, capMs: 60_000 });
    const before = mainThread();
    for (let i = 0; i < TURNS; i++) {
      await turn(`turn ${i}`);
      await sleep(GAP_MS);
    }
    const perTurn = (mainThread() - before) / TURNS;
    socket.close();
    return perTurn;
  } finally {
    await stopTree(gateway);
    await Deno.remove(stateDir, { recursive: true });
  }
}

const few = await cpuPerTurn(50);
const many = await cpuPerTurn(SESSIONS);
console.log(`bench memory_sync ${tree} — ${new Date().toISOString()}`);
console.log(`Machine: ${machine()}`);
printTable(["measure", "50 sessions", `${SESSIONS} sessions`, "ratio"], [[
  "main-thread CPU per turn, its memory sync included (ms)",
  few.toFixed(2),
  many.toFixed(2),
  `${(many / few).toFixed(2)}×`,
]]);
await upstream.close();
