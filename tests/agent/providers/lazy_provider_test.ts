/**
 * @module The providers' wire API code loads with the first request to a provider of it
 * (agent/providers/lazy_provider.ts), seen in a real gateway process: which of the program's
 * modules it has parsed is read through its V8 inspector, before and after one `/v1` request.
 * The start-up graph check (tests/scripts/startup_graph_test.ts) cannot see this, since the
 * providers are imported by URL at run time: a gateway that loaded them all at start would pass it.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { inspectedGateway, scriptsOf } from "../../_helpers/inspected_gateway.ts";
import { freePort } from "../../_helpers/net.ts";

/** The wire API modules no configured-but-unused provider may load. */
const WIRE_APIS = ["openai_compat", "_openai_reads", "anthropic", "ollama", "llamacpp", "_http"];

const wireApisIn = (modules: string[]) =>
  modules.filter((path) => WIRE_APIS.some((name) => path === `agent/providers/${name}.ts`)).sort();

Deno.test("a gateway with OpenAI-compatible, Anthropic and Ollama providers configured loads none of their wire APIs until a request, then only the one it asks", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-lazy-providers-" });
  const unused = `http://127.0.0.1:${freePort()}/v1`;
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    JSON.stringify({
      gateway: { port: freePort(), http: { port: false } },
      logging: { consoleLevel: "silent" },
      models: {
        providers: {
          fake: { baseUrl: upstream.url, apiKey: "sk-test" },
          claude: { api: "anthropic", baseUrl: unused, apiKey: "sk-unused" },
          ollama: { baseUrl: unused },
        },
      },
      agents: { defaults: { model: "fake/gpt-test" } },
    }),
  );
  const gateway = await inspectedGateway(stateDir);
  const inspector = await scriptsOf(gateway.inspectorUrl);
  try {
    const atReady = await inspector.modules();
    // The list is the gateway's own: its provider registry is there, parsed at start.
    assert(atReady.includes("agent/providers/registry.ts"), atReady.join("\n"));
    assertEquals(wireApisIn(atReady), []);

    const token = (await Deno.readTextFile(join(stateDir, "gateway.token"))).trim();
    const response = await fetch(`${gateway.baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "fake/gpt-test", messages: [{ role: "user", content: "hi" }] }),
    });
    assertEquals(response.status, 200, await response.clone().text());
    assertEquals((await response.json()).choices[0].message.content, "Echo: hi");
    assertEquals(wireApisIn(await inspector.modules()), [
      "agent/providers/_http.ts",
      "agent/providers/_openai_reads.ts",
      "agent/providers/openai_compat.ts",
    ]);
  } finally {
    inspector.close();
    await gateway.stop();
    await Deno.remove(stateDir, { recursive: true });
  }
});
