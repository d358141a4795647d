/**
 * @module Kill -9 of a real `pyclaw gateway run` process during streaming chats, with a stdio
 * MCP server and Chromium running under it: nothing it started stays behind, and after a restart
 * every session file loads with every completed message. `scripts/crash_loop.ts` repeats it.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { crashConfig, crashRound, verifySessions } from "./_crash.ts";
import { writeConfig } from "./_gateway_process.ts";

Deno.test("kill -9 during streaming chats leaves no MCP server or browser behind and loses no completed message", async () => {
  await using upstream = await startFakeOpenAI({ apiKey: "sk-fake" });
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-crash-" });
  try {
    await writeConfig(stateDir, crashConfig(upstream.url));
    const sessions = ["alpha", "beta", "gamma"];
    const completed = new Map<string, string[][]>(sessions.map((id) => [id, []]));
    for (const round of [1, 2]) {
      const result = await crashRound(stateDir, upstream, round, sessions, round === 1);
      assertEquals(result.leftovers, [], "processes left after the kill");
      assert(result.children.length >= 1);
      if (Deno.env.get("CRASH_VERBOSE")) console.log(result.children);
      for (const [id, pair] of result.completed) completed.get(id)!.push(pair);
    }
    assertEquals(await verifySessions(stateDir, completed), 12);
    // Sessions stay readable on disk: every line that is there is whole JSON, bar a torn last one.
    const dir = join(stateDir, "agents", "main", "sessions");
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.endsWith(".jsonl")) continue;
      const lines = (await Deno.readTextFile(join(dir, entry.name))).split("\n").filter(Boolean);
      for (const line of lines.slice(0, -1)) JSON.parse(line);
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
