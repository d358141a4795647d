/**
 * @module Repeated kill -9 of a real `pyclaw gateway run` during streaming chats (a stdio MCP
 * server under it, Chromium every other round), then one restart that must load every session with
 * every completed message. The in-suite version is tests/reliability/crash_test.ts (2 rounds).
 *
 * Usage: node_modules/.bin/deno run -A --no-lock scripts/crash_loop.ts [--rounds 10] [--sessions 6]
 */

import { startFakeOpenAI } from "../tests/_helpers/fake_openai.ts";
import { crashConfig, crashRound, verifySessions } from "../tests/reliability/_crash.ts";
import { writeConfig } from "../tests/reliability/_gateway_process.ts";

const flag = (name: string, fallback: number) => {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const ROUNDS = flag("rounds", 10);
const SESSIONS = Array.from({ length: flag("sessions", 6) }, (_, i) => `s${i}`);

const upstream = await startFakeOpenAI({ apiKey: "sk-fake" });
const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-crash-loop-" });
let failed = false;
try {
  await writeConfig(stateDir, crashConfig(upstream.url));
  const completed = new Map<string, string[][]>(SESSIONS.map((id) => [id, []]));
  const started = Date.now();
  for (let round = 1; round <= ROUNDS; round++) {
    const result = await crashRound(stateDir, upstream, round, SESSIONS, round % 2 === 1);
    for (const [id, pair] of result.completed) completed.get(id)!.push(pair);
    console.error(
      `round ${round}: killed with ${result.children.length} processes under it; left behind: ${
        result.leftovers.length ? result.leftovers.join("; ") : "none"
      }`,
    );
    if (result.leftovers.length) failed = true;
  }
  const messages = await verifySessions(stateDir, completed);
  console.log(JSON.stringify(
    {
      rounds: ROUNDS,
      sessions: SESSIONS.length,
      completedMessagesVerified: messages,
      seconds: Math.round((Date.now() - started) / 1000),
      pass: !failed,
    },
    null,
    2,
  ));
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await upstream.close();
  await Deno.remove(stateDir, { recursive: true });
}
Deno.exit(failed ? 1 : 0);
