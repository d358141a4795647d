import { join } from "node:path";
import { assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { startTestGateway } from "../_helpers/gateway.ts";

async function seedMemory(stateDir: string): Promise<void> {
  const workspace = join(stateDir, "workspace");
  await Deno.mkdir(join(workspace, "memory"), { recursive: true });
  await Deno.writeTextFile(
    join(workspace, "MEMORY.md"),
    "# Facts\nPassport renewal due in March\n",
  );
  await Deno.writeTextFile(join(workspace, "memory", "家.md"), "钥匙放在门口的抽屉里\n");
}

Deno.test("pyclaw memory search, status and reindex work on the local state", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-memory-" });
  try {
    // Port 9 (discard): nothing answers there, so the commands run in this process.
    await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify({ gateway: { port: 9 } }));
    await seedMemory(dir);
    const run = (...args: string[]) => runPyclaw(args, { stateDir: dir });
    const found = JSON.parse((await run("memory", "search", "passport", "--json")).stdout);
    assertEquals([found.via, found.results[0].id], ["local", "MEMORY.md#L1-L2"]);
    const chinese = await run("memory", "search", "钥匙", "--limit", "1");
    assertMatch(chinese.stdout, /memory\/家\.md#L1-L1[^\n]*\n钥匙放在门口的抽屉里/);
    const status = JSON.parse((await run("memory", "status", "--json")).stdout);
    assertEquals([status.agents[0].files, status.agents[0].chunks], [2, 2]);
    assertEquals(status.agents[0].dbPath, join(dir, "memory", "main.sqlite"));
    assertMatch((await run("memory", "reindex")).stdout, /main: 2 files, 2 chunks/);
    const empty = await run("memory", "search", "zebra");
    assertMatch(empty.stdout, /No memories match "zebra"/);
    const ghost = await run("memory", "search", "x", "--agent", "ghost");
    assertEquals(ghost.code, 1);
    assertMatch(ghost.stderr, /NOT_FOUND: Agent not found: ghost/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw memory goes through a running gateway", async () => {
  await using gw = await startTestGateway();
  await Deno.writeTextFile(gw.configPath, JSON.stringify({ gateway: { port: gw.gateway.port } }));
  await seedMemory(gw.stateDir);
  const env = { PYCLAW_AUTH_TOKEN: gw.token! };
  const run = (...args: string[]) => runPyclaw(args, { stateDir: gw.stateDir, env });
  const found = JSON.parse((await run("memory", "search", "renewal", "--json")).stdout);
  assertEquals([found.via, found.results[0].path], ["gateway", "MEMORY.md"]);
  const status = JSON.parse((await run("memory", "status", "--agent", "main", "--json")).stdout);
  assertEquals([status.via, status.agents[0].files], ["gateway", 2]);
  const rebuilt = JSON.parse((await run("memory", "reindex", "--json")).stdout);
  assertEquals(rebuilt.agents[0].reindexed.length, 2);
});
