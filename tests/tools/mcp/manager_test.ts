import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { everythingStdio, processAlive, startEverythingHttp } from "../../_helpers/mcp.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { freePort } from "../../_helpers/net.ts";
import { Logger } from "../../../core/logger.ts";
import { McpManager } from "../../../tools/mcp/manager.ts";
import type { McpServerConfig } from "../../../tools/mcp/server_config.ts";
import { ToolRegistry } from "../../../tools/registry.ts";
import type { ToolContext, ToolEvent, ToolOutput } from "../../../tools/tool.ts";

const logger = new Logger({ consoleLevel: "silent" });
const FAST_RETRY = { initialMs: 100, maxMs: 400 };

/** Parses `tools.mcpServers` the way the config loader does, defaults included. */
function servers(raw: Record<string, unknown>): Record<string, McpServerConfig> {
  return configSchema().parse({ tools: { mcpServers: raw } }).tools.mcpServers;
}

function toolContext(
  events: ToolEvent[] = [],
  signal = new AbortController().signal,
): ToolContext {
  const config = configSchema().parse({});
  return {
    signal,
    agentId: "main",
    sessionId: "s1",
    workspaceDir: Deno.cwd(),
    restrictToWorkspace: true,
    config: () => config,
    logger,
    emit: (event) => void events.push(event),
    services: {},
  };
}

async function call(
  registry: ToolRegistry,
  name: string,
  args: Record<string, unknown>,
  ctx = toolContext(),
): Promise<ToolOutput> {
  const tool = registry.get(name);
  assert(tool, `tool ${name} is registered`);
  const output = await tool.run(tool.parameters.parse(args), ctx);
  assert(typeof output !== "string");
  return output;
}

Deno.test("mcp manager registers a stdio server's tools as mcp:<server>:<tool> and calls them", async () => {
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger, registry });
  try {
    await manager.apply(servers({ everything: everythingStdio() }));
    await manager.ready();
    const [status] = manager.status();
    assertEquals(status.state, "connected", status.lastError);
    assertEquals(status.transport, "stdio");
    assert(status.pid && processAlive(status.pid));
    const names = registry.list().map((tool) => tool.name);
    assert(names.includes("mcp:everything:echo"), names.join(", "));
    assert(names.includes("mcp:everything:get-sum"));
    assertEquals(status.toolCount, names.length);

    const sum = registry.get("mcp:everything:get-sum")!;
    // The model sees the server's JSON schema as-is.
    assertEquals((sum.jsonSchema?.properties as Record<string, unknown>)?.a, {
      type: "number",
      description: "First number",
    });
    assertEquals(
      (await call(registry, "mcp:everything:echo", { message: "hi" })).content,
      "Echo: hi",
    );
    assertMatch((await call(registry, "mcp:everything:get-sum", { a: 2, b: 3 })).content, /\b5\b/);
    const image = await call(registry, "mcp:everything:get-tiny-image", {});
    assertEquals(image.images?.[0].mimeType, "image/png");
    assert(image.images![0].base64.length > 100);
    const bad = await call(registry, "mcp:everything:get-sum", { a: "x" });
    assertEquals(bad.isError, true);
  } finally {
    await manager.close();
  }
  assertEquals(registry.list().length, 0);
});

Deno.test("mcp manager ends every child on close", async () => {
  const manager = new McpManager({ logger });
  await manager.apply(servers({ a: everythingStdio(), b: everythingStdio() }));
  await manager.ready();
  const pids = manager.status().map((status) => status.pid!);
  assertEquals(pids.length, 2);
  assert(pids.every(processAlive));
  await manager.close();
  assert(pids.every((pid) => !processAlive(pid)), "no MCP child outlives close");
});

Deno.test("mcp manager: a broken server is reported and retried while the others work", async () => {
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger, registry, backoff: FAST_RETRY });
  try {
    await manager.apply(servers({
      broken: { command: "pyclaw-no-such-mcp-server" },
      unreachable: { url: `http://127.0.0.1:${freePort()}/mcp`, connectTimeoutMs: 2_000 },
      good: everythingStdio(),
    }));
    await manager.ready();
    const byName = Object.fromEntries(manager.status().map((s) => [s.name, s]));
    assertEquals(byName.good.state, "connected");
    // With fast retries a failed server may already be trying again ("connecting"): what matters
    // is that it is not connected and says why.
    assert(byName.broken.state !== "connected");
    assertMatch(byName.broken.lastError!, /pyclaw-no-such-mcp-server/);
    assert(byName.unreachable.state !== "connected");
    assert(byName.unreachable.lastError);
    await waitFor(() => manager.status().find((s) => s.name === "broken")!.failures >= 2);
    assertEquals((await call(registry, "mcp:good:echo", { message: "ok" })).content, "Echo: ok");
  } finally {
    await manager.close();
  }
});

Deno.test("mcp manager with backoff null tries a broken server once and keeps reporting it", async () => {
  // What a one-off CLI run uses: a retry firing while the command still works would turn the
  // failed server back to "connecting" in its report (tests/cli/mcp_test.ts saw that under load).
  const manager = new McpManager({ logger, backoff: null });
  try {
    await manager.apply(servers({ broken: { command: "pyclaw-no-such-mcp-server" } }));
    await manager.ready();
    const [broken] = manager.status();
    assertEquals(broken.state, "error");
    assertEquals(broken.failures, 1);
    assertEquals(broken.nextRetryAt, undefined, "no retry is scheduled");
  } finally {
    await manager.close();
  }
});

Deno.test("mcp manager lists configured servers from the moment apply is called", async () => {
  // The connection module loads lazily; a status asked before it has loaded (CI saw an empty
  // list right after gateway start) must still list every configured server.
  const manager = new McpManager({ logger, backoff: null });
  try {
    const applied = manager.apply(servers({
      everything: everythingStdio(),
      off: { command: "pyclaw-no-such-mcp-server", enabled: false },
    }));
    assertEquals(
      manager.status().map(({ name, state, transport }) => ({ name, state, transport })),
      [
        { name: "everything", state: "connecting", transport: "stdio" },
        { name: "off", state: "disabled", transport: "stdio" },
      ],
    );
    await applied;
    await manager.ready();
    assertEquals(manager.status().map((s) => s.state), ["connected", "disabled"]);
    const [everything] = manager.status();
    // A new apply shows the new config at once and keeps the unchanged server's live status.
    const reapplied = manager.apply(
      servers({ everything: everythingStdio(), more: everythingStdio() }),
    );
    const now = manager.status();
    assertEquals(now.map((s) => s.name), ["everything", "more"]);
    assertEquals(now[0].pid, everything.pid);
    assertEquals(now[1].state, "connecting");
    await reapplied;
  } finally {
    await manager.close();
  }
});

Deno.test("mcp manager reconnects a server whose process died", async () => {
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger, registry, backoff: FAST_RETRY });
  try {
    await manager.apply(servers({ everything: everythingStdio() }));
    await manager.ready();
    const first = manager.status()[0].pid!;
    Deno.kill(first, "SIGKILL");
    await waitFor(() => manager.status()[0].state === "error", 20_000, "the death to be seen");
    assertMatch(manager.status()[0].lastError!, /closed/i);
    const down = await call(registry, "mcp:everything:echo", { message: "x" }).catch(() =>
      undefined
    );
    assert(down === undefined || down.isError, "a call while down is an error result");
    await waitFor(() => manager.status()[0].state === "connected", 20_000, "the reconnect");
    assert(manager.status()[0].pid !== first);
    assertEquals(
      (await call(registry, "mcp:everything:echo", { message: "back" })).content,
      "Echo: back",
    );
  } finally {
    await manager.close();
  }
});

Deno.test("mcp manager apply restarts only changed servers and closes removed ones", async () => {
  const manager = new McpManager({ logger });
  try {
    await manager.apply(
      servers({ keep: everythingStdio(), change: everythingStdio(), drop: everythingStdio() }),
    );
    await manager.ready();
    const before = Object.fromEntries(manager.status().map((s) => [s.name, s.pid!]));
    const diff = await manager.apply(servers({
      keep: everythingStdio(),
      change: everythingStdio({ env: { X: "1" } }),
      added: everythingStdio(),
    }));
    assertEquals(diff, { added: ["added"], removed: ["drop"], changed: ["change"] });
    await manager.ready();
    const after = Object.fromEntries(manager.status().map((s) => [s.name, s.pid!]));
    assertEquals(Object.keys(after), ["keep", "change", "added"]);
    assertEquals(after.keep, before.keep);
    assert(after.change !== before.change);
    assert(!processAlive(before.drop) && !processAlive(before.change));
    assert(manager.status().every((s) => s.state === "connected"));
  } finally {
    await manager.close();
  }
});

Deno.test("mcp tool calls report progress, honour the timeout and the abort signal", async () => {
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger, registry });
  try {
    await manager.apply(servers({ slow: everythingStdio({ timeoutMs: 2_000 }) }));
    await manager.ready();
    const events: ToolEvent[] = [];
    // Progress every 0.3 s keeps a 2 s timeout from firing through a 1.5 s call. (A 0.4 s
    // timeout left 0.1 s for the child and the gateway to pass each notification on: too
    // little on a busy machine; 1 s is still a single stall of a starved child away.)
    const done = await call(
      registry,
      "mcp:slow:trigger-long-running-operation",
      { duration: 1.5, steps: 5 },
      toolContext(events),
    );
    assertEquals(done.isError, undefined, done.content);
    // The last notification may race the result; the earlier ones cannot.
    assert(events.filter((e) => e.type === "progress").length >= 4);
    assertEquals(events[0], {
      type: "progress",
      tool: "mcp:slow:trigger-long-running-operation",
      progress: 1,
      total: 5,
      message: undefined,
    });

    const timedOut = await call(registry, "mcp:slow:trigger-long-running-operation", {
      duration: 3,
      steps: 1,
    });
    assertEquals(timedOut.isError, true);
    assertMatch(timedOut.content, /timed out after 2000 ms/);

    // Aborted once the call is under way (its first progress), a call that progress would keep
    // going for 30 s: ignoring the abort would end it with a result, or with the timeout's.
    const abort = new AbortController();
    const started = Date.now();
    const aborted = await assertRejects(() =>
      call(
        registry,
        "mcp:slow:trigger-long-running-operation",
        { duration: 30, steps: 100 },
        {
          ...toolContext([], abort.signal),
          emit: () => abort.abort(new DOMException("stop", "AbortError")),
        },
      )
    );
    assertEquals([aborted.name, aborted.message], ["AbortError", "stop"]);
    assert(Date.now() - started < 10_000, "the abort ends a 30 s call at once");
  } finally {
    await manager.close();
  }
});

Deno.test("mcp manager speaks streamable HTTP, and falls back to SSE for an old server", async () => {
  await using streamable = await startEverythingHttp("streamableHttp");
  await using sse = await startEverythingHttp("sse");
  const registry = new ToolRegistry();
  const manager = new McpManager({ logger, registry });
  try {
    await manager.apply(servers({
      remote: { url: streamable.url, headers: { "x-test": "1" } },
      legacy: { url: sse.url },
    }));
    await manager.ready();
    const byName = Object.fromEntries(manager.status().map((s) => [s.name, s]));
    assertEquals(byName.remote.state, "connected", byName.remote.lastError);
    assertEquals(byName.remote.transport, "streamable-http");
    assertEquals(byName.legacy.state, "connected", byName.legacy.lastError);
    assertEquals(byName.legacy.transport, "sse");
    assertEquals((await call(registry, "mcp:remote:echo", { message: "h" })).content, "Echo: h");
    assertEquals((await call(registry, "mcp:legacy:echo", { message: "s" })).content, "Echo: s");
  } finally {
    await manager.close();
  }
});
