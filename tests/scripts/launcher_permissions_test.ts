/**
 * @module The real launcher (`scripts/pyclaw`) runs the gateway under deno.json's `pyclaw`
 * permission set, not `-A`: each feature that needs a permission works through it, and what the
 * set leaves out (the `/proc` files Deno grants only with `--allow-all`) is refused.
 */

import { join } from "node:path";
import OpenAI from "openai";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { startPageServer } from "../_helpers/browser_pages.ts";
import { connectChecked } from "../_helpers/contract.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { everythingStdio } from "../_helpers/mcp.ts";
import { TINY_MODEL_ID, tinyModelStore } from "../_helpers/tiny_model.ts";
import {
  PROCESS_TOKEN,
  startGatewayProcess,
  writeConfig,
} from "../reliability/_gateway_process.ts";

const root = new URL("../..", import.meta.url).pathname;
const SECRET = "sk-permission-test-0123456789";

Deno.test("scripts/pyclaw asks Deno for the pyclaw permission set, not -A", async () => {
  const launcher = await Deno.readTextFile(join(root, "scripts", "pyclaw"));
  assertMatch(launcher, /^exec "\$deno" run --permission-set=pyclaw /m);
  assert(!/\s(-A|--allow-all)\s/.test(launcher.replace(/^#.*$/gm, "")), "no -A in the launcher");
  const config = JSON.parse(
    (await Deno.readTextFile(join(root, "deno.json"))).replace(/^\s*\/\/.*$/gm, ""),
  );
  const set = config.permissions.pyclaw;
  assert(!("import" in set), "no remote imports");
  assert(!("all" in set));
});

Deno.test("the gateway through the launcher: browser, MCP, sandboxed exec, local model, env and doctor work; /proc stays shut", async () => {
  const state = await Deno.makeTempDir({ prefix: "pyclaw-perm-" });
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: SECRET });
  await using pages = startPageServer();
  await using _tiny = await tinyModelStore(state);
  await writeConfig(state, {
    models: {
      // ${VAR} from the gateway's environment: --allow-env.
      providers: {
        fake: { baseUrl: upstream.url, apiKey: "${PYCLAW_PERM_TEST_KEY}" },
        llamacpp: { models: [{ id: TINY_MODEL_ID, maxTokens: 2 }] },
      },
      local: { threads: 1, gpuLayers: 0, contextSize: 4096 },
    },
    agents: { defaults: { model: "fake/gpt-test" } },
    tools: {
      // Reads may leave the workspace, so the refusal below comes from Deno, not the tool.
      restrictToWorkspace: false,
      exec: { policy: "allow" },
      mcpServers: { everything: everythingStdio() },
    },
  });
  const gateway = await startGatewayProcess(state, {
    env: { PYCLAW_PERM_TEST_KEY: SECRET },
    timeoutMs: 60_000,
  });
  const client = await connectChecked(gateway.url, { token: PROCESS_TOKEN, clientName: "test" });
  try {
    // --allow-run: a stdio MCP server.
    const mcp = await waitFor(
      async () => {
        const { servers } = await client.request("mcp.status", {});
        return servers.find((s) => s.state === "connected" && s.toolCount > 0);
      },
      30_000,
      "the MCP server to connect",
    );
    assertEquals(mcp?.name, "everything");

    // playwright-core loads (its WSL probe reads as absent) and drives Chromium over CDP.
    await client.request("browser.start", {}, { timeoutMs: 60_000 });
    const opened = await client.request("browser.open", { url: `${pages.base}/` });
    assertEquals(opened.title, "Home");
    const snapshot = await client.request("browser.snapshot", {});
    assertMatch(snapshot.htmlPreview, /Home page/);
    await client.request("browser.stop", {});

    // An agent turn: the provider key from the environment, a command in bubblewrap writing the
    // workspace, and a read of the gateway's memory map through /proc, which Deno refuses (with -A
    // the read tool returned it: addresses that undo ASLR for anyone who can prompt the agent).
    upstream.reply({
      toolCalls: [
        { id: "call_exec", name: "exec", arguments: { command: "echo sandboxed > made.txt" } },
        { id: "call_maps", name: "read", arguments: { path: "/proc/self/maps" } },
      ],
    }, { text: "Done" });
    const answer = await client.request("chat.send", { message: "Go" }, { timeoutMs: 60_000 });
    assertEquals(answer.completed, true);
    assertEquals(upstream.requests[0].headers.get("authorization"), `Bearer ${SECRET}`);
    const toolResults = new Map<string, string>(
      upstream.requests[1].body.messages
        .filter((m: { role: string }) => m.role === "tool")
        .map((m: { tool_call_id: string; content: string }) => [m.tool_call_id, m.content]),
    );
    const made = await Deno.readTextFile(join(state, "workspace", "made.txt"));
    assertEquals(made, "sandboxed\n", toolResults.get("call_exec"));
    const maps = toolResults.get("call_maps") ?? "";
    assert(!/r-xp/.test(maps), `the gateway's memory map stayed unread: ${maps.slice(0, 200)}`);
    assertMatch(maps, /Requires all access to "\/proc\/self\/maps"/);

    // --allow-ffi: node-llama-cpp loads its native library and generates.
    const openai = new OpenAI({ baseURL: `${gateway.httpUrl}/v1`, apiKey: PROCESS_TOKEN });
    const completion = await openai.chat.completions.create({
      model: `llamacpp/${TINY_MODEL_ID}`,
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 2,
    });
    assertEquals(completion.usage?.completion_tokens, 2);

    // The doctor's checks that load libraries or start programs, under the same permissions
    // (exceljs calls process.umask(), which Deno grants only with an unscoped --allow-sys).
    const { checks } = await client.request("doctor.run", {}, { timeoutMs: 60_000 });
    const ids = ["browser.executable", "tools.documents", "tools.sandbox", "models.runtime"];
    for (const id of [...ids, "state.writable", "disk.space"]) {
      const check = checks.find((c) => c.id === id);
      assertEquals(check?.status, "ok", JSON.stringify(check ?? checks.map((c) => c.id)));
    }
  } finally {
    client.close();
    await gateway.stop();
    await Deno.remove(state, { recursive: true }).catch(() => {});
  }
});
