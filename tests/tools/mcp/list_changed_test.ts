import { assert, assertEquals, waitFor } from "../../_helpers/assert.ts";
import { toolContext } from "../../_helpers/tool_context.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { Logger } from "../../../core/logger.ts";
import { McpManager } from "../../../tools/mcp/manager.ts";
import { ToolRegistry } from "../../../tools/registry.ts";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

/** A tiny MCP server on Deno.serve, built with the SDK's server classes. */
async function startTinyServer() {
  const server = new McpServer({ name: "tiny", version: "1.0.0" });
  server.registerTool("first", { description: "The first tool" }, () => ({
    content: [{ type: "text", text: "one" }],
  }));
  server.registerTool("add_second", { description: "Adds a second tool" }, () => {
    // Registering after connect sends notifications/tools/list_changed.
    server.registerTool("second", { description: "The second tool" }, () => ({
      content: [{ type: "text", text: "two" }],
    }));
    return { content: [{ type: "text", text: "added" }] };
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => crypto.randomUUID(),
  });
  await server.connect(transport);
  const authorization = new Set<string | null>();
  const methods = new Set<string>();
  const http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      authorization.add(request.headers.get("authorization"));
      methods.add(request.method);
      return transport.handleRequest(request);
    },
  );
  return {
    url: `http://127.0.0.1:${http.addr.port}/mcp`,
    authorization,
    methods,
    async close() {
      await server.close();
      await http.shutdown();
    },
  };
}

Deno.test("an HTTP server gets the configured headers; tools/list_changed refreshes its tools", async () => {
  const tiny = await startTinyServer();
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger: new Logger({ consoleLevel: "silent" }), registry });
  try {
    await manager.apply(
      configSchema().parse({
        tools: {
          mcpServers: { tiny: { url: tiny.url, headers: { Authorization: "Bearer t0k" } } },
        },
      }).tools.mcpServers,
    );
    await manager.ready();
    assertEquals(manager.status()[0].state, "connected", manager.status()[0].lastError);
    assertEquals(manager.status()[0].tools, ["mcp:tiny:first", "mcp:tiny:add_second"]);
    await using tc = await toolContext();
    assertEquals((await tc.call(registry.get("mcp:tiny:add_second")!, {})).content, "added");
    await waitFor(() => registry.get("mcp:tiny:second"), 20_000, "the refreshed tool list");
    assertEquals((await tc.call(registry.get("mcp:tiny:second")!, {})).content, "two");
    assert(manager.status()[0].toolCount === 3);
    assertEquals([...tiny.authorization], ["Bearer t0k"], "every request carries the header");
    await manager.close();
    assert(tiny.methods.has("DELETE"), "closing ends the session on the server");
  } finally {
    await manager.close();
    await tiny.close();
  }
});
