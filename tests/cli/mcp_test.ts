import { join } from "node:path";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";
import { everythingStdio, processAlive } from "../_helpers/mcp.ts";
import { freePort } from "../_helpers/net.ts";
import { PYCLAW } from "../_helpers/cli.ts";

async function pyclaw(args: string[], stateDir: string) {
  const output = await new Deno.Command(PYCLAW, {
    args,
    env: {
      PYCLAW_STATE_DIR: stateDir,
      NO_COLOR: "1",
      PYCLAW_CONFIG_PATH: "",
      PYCLAW_AUTH_TOKEN: "",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function withStateDir(config: unknown, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-mcp-" });
  try {
    await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify(config));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pyclaw mcp status and list-tools connect directly when no gateway runs", async () => {
  // Port 9: nothing listens there, so the CLI goes to the servers itself.
  const servers = {
    everything: everythingStdio(),
    broken: { command: "pyclaw-no-such-mcp-server" },
  };
  await withStateDir({ gateway: { port: 9 }, tools: { mcpServers: servers } }, async (dir) => {
    const status = await pyclaw(["mcp", "status", "--json"], dir);
    assertEquals(status.code, 1, "a failing server makes the exit code 1");
    const report = JSON.parse(status.stdout);
    assertEquals(report.source, "direct");
    assertEquals(report.count, 2);
    assertEquals(report.servers[0].state, "connected");
    assertEquals(report.servers[0].transport, "stdio");
    assertEquals(report.servers[1].state, "error");
    assertMatch(report.servers[1].lastError, /pyclaw-no-such-mcp-server/);

    const tools = await pyclaw(["mcp", "list-tools", "--json"], dir);
    assertEquals(tools.code, 1);
    const listed = JSON.parse(tools.stdout);
    const echo = listed.tools.find((t: { name: string }) => t.name === "mcp:everything:echo");
    assertEquals(echo.server, "everything");
    assertEquals(echo.tool, "echo");
    assertMatch(echo.description, /Echo/);
    assertMatch(tools.stderr, /Warning: MCP server "broken" is failing/);
  });
  await withStateDir({
    gateway: { port: 9 },
    tools: { mcpServers: { everything: everythingStdio() } },
  }, async (dir) => {
    const status = await pyclaw(["mcp", "status"], dir);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /connected directly/);
    assertMatch(status.stdout, /everything\s+stdio\s+connected\s+\d+ tools/);
    const tools = await pyclaw(["mcp", "list-tools"], dir);
    assertEquals(tools.code, 0);
    assertMatch(tools.stdout, /^mcp:everything:echo\s+Echoes back the input/m);
  });
  await withStateDir({ gateway: { port: 9 } }, async (dir) => {
    const status = await pyclaw(["mcp", "status"], dir);
    assertEquals(status.code, 0);
    assertMatch(status.stdout, /No MCP servers configured/);
  });
});

Deno.test("pyclaw mcp status and list-tools ask a running gateway", async () => {
  await using gw = await startTestGateway({
    config: { tools: { mcpServers: { everything: everythingStdio() } } },
  });
  await waitFor(() => gw.gateway.services.mcp.status()[0].state === "connected", 30_000);
  const pid = gw.gateway.services.mcp.status()[0].pid;
  const flags = ["--url", gw.url, "--token", TEST_TOKEN];
  const status = await pyclaw(["mcp", "status", "--json", ...flags], gw.stateDir);
  assertEquals(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout);
  assertEquals(report.source, gw.url);
  assertEquals(report.servers[0].pid, pid, "the gateway's own connection, not a new one");
  const tools = await pyclaw(["mcp", "list-tools", "--json", ...flags], gw.stateDir);
  assertEquals(tools.code, 0);
  assert(
    JSON.parse(tools.stdout).tools.some((t: { name: string }) =>
      t.name === "mcp:everything:get-sum"
    ),
  );

  const refused = await pyclaw(["mcp", "status", "--url", gw.url, "--token", "wrong"], gw.stateDir);
  assertEquals(refused.code, 1);
  assertMatch(refused.stderr, /AUTH_REQUIRED/);
});

/** Child processes of `pid` (Linux `/proc`). */
function childrenOf(pid: number): { pid: number; cmdline: string }[] {
  const children = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      children.push({ pid: Number(entry.name), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

Deno.test({
  name: "a gateway killed with SIGKILL leaves no MCP child behind",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const port = freePort();
    await withStateDir(
      { tools: { mcpServers: { everything: everythingStdio() } } },
      async (dir) => {
        // The launcher, so the gateway runs with the permissions users give it.
        const gateway = new Deno.Command(PYCLAW, {
          args: ["gateway", "run", "--port", String(port)],
          env: { PYCLAW_STATE_DIR: dir, NO_COLOR: "1", PYCLAW_CONFIG_PATH: "" },
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        try {
          const child = (await waitFor(
            () => childrenOf(gateway.pid).find((c) => c.cmdline.includes("server-everything")),
            20_000,
            "the MCP child",
          ))!;
          assert(processAlive(child.pid));
          gateway.kill("SIGKILL");
          await gateway.status;
          await waitFor(() => !processAlive(child.pid), 20_000, "the orphan to die");
        } finally {
          try {
            gateway.kill("SIGKILL");
          } catch {
            // already dead
          }
          await gateway.status;
        }
      },
    );
  },
});
