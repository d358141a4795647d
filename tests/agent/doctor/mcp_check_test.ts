import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { EVERYTHING_SERVER, everythingStdio } from "../../_helpers/mcp.ts";
import { checkMcpServers } from "../../../agent/doctor/mcp_check.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";

Deno.test("doctor MCP check connects to each configured server and reports its tool count", async () => {
  const config = configSchema().parse({
    tools: {
      mcpServers: {
        everything: everythingStdio(),
        broken: { command: "pyclaw-no-such-mcp-server" },
        off: { ...everythingStdio(), enabled: false },
        // Starts after 11 s, within its connectTimeoutMs (default 30 s): the gateway would
        // connect, so the doctor must wait for it too (it once gave up after 10 s).
        slow: { command: "bash", args: ["-c", `sleep 11; exec node ${EVERYTHING_SERVER} stdio`] },
      },
    },
  });
  const checks = await checkMcpServers({
    configPath: "/nowhere/pyclaw.json",
    config,
    paths: statePaths("/nowhere"),
    env: {},
  });
  const byId = Object.fromEntries(checks.map((check) => [check.id, check]));
  assertEquals(Object.keys(byId), ["mcp.everything", "mcp.broken", "mcp.off", "mcp.slow"]);
  assertEquals(byId["mcp.slow"].status, "ok", byId["mcp.slow"].message);
  assertEquals(byId["mcp.everything"].status, "ok");
  assertMatch(byId["mcp.everything"].message, /^Reachable over stdio, \d+ tools$/);
  assertEquals(byId["mcp.broken"].status, "fail");
  assertMatch(byId["mcp.broken"].message, /Not reachable: .*pyclaw-no-such-mcp-server/);
  assertEquals(byId["mcp.off"].status, "ok");
  assertEquals(
    await checkMcpServers({
      configPath: "x",
      config: configSchema().parse({}),
      paths: statePaths("/nowhere"),
      env: {},
    }),
    [],
  );
});
