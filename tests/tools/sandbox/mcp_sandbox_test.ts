import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { everythingStdio } from "../../_helpers/mcp.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { Logger } from "../../../core/logger.ts";
import { McpManager } from "../../../tools/mcp/manager.ts";
import { ToolRegistry } from "../../../tools/registry.ts";
import { probeBwrap } from "../../../tools/sandbox/command_sandbox.ts";

const ignore = !(await probeBwrap()).availability.available;
const logger = new Logger({ consoleLevel: "silent" });

/** Pids of processes whose command line contains `needle`. */
async function pidsRunning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    if (cmdline.includes(needle)) pids.push(Number(entry.name));
  }
  return pids;
}

Deno.test({
  name: "an MCP stdio server with sandbox on works, and its view of the disk lacks the state dir",
  ignore,
  fn: async () => {
    const state = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-mcp-sbx-" }));
    await Deno.writeTextFile(join(state, "gateway.token"), "secret\n");
    const registry = new ToolRegistry();
    const manager = new McpManager({ logger, registry, sandboxHidden: [state] });
    const marker = `sbx-${crypto.randomUUID().slice(0, 8)}`;
    try {
      const servers = configSchema().parse({
        tools: {
          mcpServers: {
            boxed: everythingStdio({ sandbox: { network: false }, env: { MARKER: marker } }),
          },
        },
      }).tools.mcpServers;
      await manager.apply(servers);
      await manager.ready();
      const [status] = manager.status();
      assertEquals(status.state, "connected", status.lastError);
      const echo = registry.get("mcp:boxed:echo")!;
      const output = await echo.run({ message: "hi" }, {} as never);
      assertMatch(typeof output === "string" ? output : output.content, /Echo: hi/);
      // The server runs in a mount namespace of its own: the state dir is not in its root.
      const nodes = (await pidsRunning("server-everything")).filter((pid) => pid !== status.pid);
      assert(nodes.length > 0, "the sandboxed server process");
      let confined = 0;
      for (const pid of nodes) {
        const ours = await Deno.readLink("/proc/self/ns/mnt");
        const theirs = await Deno.readLink(`/proc/${pid}/ns/mnt`).catch(() => ours);
        if (theirs === ours) continue; // the bwrap launcher itself
        const seen = await Deno.stat(`/proc/${pid}/root${state}/gateway.token`).then(() => true)
          .catch(() => false);
        assertEquals(seen, false);
        confined++;
      }
      assert(confined > 0, "the server runs in a mount namespace of its own");
    } finally {
      await manager.close();
      await Deno.remove(state, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "an MCP server's sandboxed command line keeps the network by default and ends with its command",
  ignore,
  fn: async () => {
    const { sandboxedServer } = await import("../../../tools/sandbox/mcp_sandbox.ts");
    const server = configSchema().parse({
      tools: { mcpServers: { s: { command: "node", args: ["x.js"], sandbox: true } } },
    }).tools.mcpServers.s;
    const [program, args] = await sandboxedServer(server as never, ["/hidden"]);
    assertEquals(program, "bwrap");
    assertEquals(args.slice(-2), ["node", "x.js"]);
    assert(args.includes("--share-net"), "network kept by default");
  },
});
