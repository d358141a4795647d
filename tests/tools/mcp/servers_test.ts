import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { toolContext } from "../../_helpers/tool_context.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { Logger } from "../../../core/logger.ts";
import { McpManager } from "../../../tools/mcp/manager.ts";
import { ToolRegistry } from "../../../tools/registry.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const deno = join(root, "node_modules/.bin/deno");
const FILESYSTEM_SERVER = join(
  root,
  "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
);
const CONFORMANCE = join(root, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const CONFORMANCE_CLIENT = join(root, "tests/_helpers/mcp_conformance_client.ts");

Deno.test("the filesystem MCP server: write and read a file in its folder, refused outside it", async () => {
  const allowed = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-mcp-fs-" }));
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger: new Logger({ consoleLevel: "silent" }), registry });
  try {
    await manager.apply(
      configSchema().parse({
        tools: { mcpServers: { fs: { command: "node", args: [FILESYSTEM_SERVER, allowed] } } },
      }).tools.mcpServers,
    );
    await manager.ready();
    assertEquals(manager.status()[0].state, "connected", manager.status()[0].lastError);
    await using tc = await toolContext();
    const write = registry.get("mcp:fs:write_file")!;
    const read = registry.get("mcp:fs:read_text_file")!;
    const file = join(allowed, "note.txt");
    const written = await tc.call(write, { path: file, content: "hello from pyclaw" });
    assertEquals(written.isError, undefined, written.content);
    assertEquals(await Deno.readTextFile(file), "hello from pyclaw");
    assertEquals((await tc.call(read, { path: file })).content, "hello from pyclaw");
    const outside = await tc.call(read, { path: "/etc/hostname" });
    assertEquals(outside.isError, true);
    assertMatch(outside.content, /denied|outside|not allowed/i);
  } finally {
    await manager.close();
    await Deno.remove(allowed, { recursive: true });
  }
});

for (const scenario of ["initialize", "tools_call", "sse-retry"]) {
  Deno.test(`MCP conformance client scenario ${scenario} passes`, async () => {
    const cwd = await Deno.makeTempDir({ prefix: "pyclaw-conformance-" });
    try {
      const client = `${deno} run -A --no-lock --quiet --config ${
        join(root, "deno.json")
      } ${CONFORMANCE_CLIENT}`;
      const output = await new Deno.Command(deno, {
        args: [
          "run",
          "-A",
          "--no-lock",
          "--quiet",
          CONFORMANCE,
          "client",
          "--command",
          client,
          "--scenario",
          scenario,
        ],
        cwd,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assertEquals(output.code, 0, text);
      assertMatch(text, /OVERALL: PASSED/);
      assert(!/\b[1-9]\d* failed/.test(text), text);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
