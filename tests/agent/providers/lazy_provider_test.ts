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
import { freePort } from "../../_helpers/net.ts";

const root = new URL("../../../", import.meta.url).pathname;

/** The wire API modules no configured-but-unused provider may load. */
const WIRE_APIS = ["openai_compat", "anthropic", "ollama", "llamacpp", "_http"];

/** A gateway run as the launcher runs it, with its V8 inspector open on a loopback port. */
async function inspectedGateway(stateDir: string) {
  const child = new Deno.Command(`${root}node_modules/.bin/deno`, {
    args: [
      "run",
      "--permission-set=pyclaw",
      "--v8-flags=--expose-gc",
      "--no-lock",
      "--no-prompt",
      "--inspect=127.0.0.1:0",
      `${root}main.ts`,
      "gateway",
      "run",
    ],
    cwd: root,
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const inspectorUrl = await readUntil(child.stderr, /Debugger listening on (ws:\/\/\S+)/);
  const ready = await readUntil(child.stdout, /pyclaw gateway ready: ws:\/\/([^,\s]+)/);
  return {
    inspectorUrl,
    baseUrl: `http://${ready}`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Reads `stream` until `pattern` matches, returns its first group, and drains the rest. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const match = text.match(pattern);
    if (match) {
      (async () => {
        while (!(await reader.read()).done) { /* keep the pipe from filling */ }
      })().catch(() => {});
      return match[1];
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`The gateway ended before printing ${pattern}: ${text}`);
    text += value;
  }
}

/**
 * A Chrome DevTools Protocol session: `Debugger.enable` reports every script parsed so far, and
 * each one parsed later as it is.
 */
async function scriptsOf(inspectorUrl: string) {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const parsed: string[] = [];
  const pending = new Map<number, () => void>();
  let nextId = 1;
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "Debugger.scriptParsed") parsed.push(message.params.url);
    pending.get(message.id)?.();
  };
  const send = (method: string) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  await send("Debugger.enable");
  return {
    /** The program's modules parsed so far (events arrive in order, before a later reply). */
    async modules(): Promise<string[]> {
      await send("Runtime.getIsolateId");
      return parsed.filter((url) => url.startsWith(`file://${root}`))
        .map((url) => url.slice(`file://${root}`.length));
    },
    close() {
      socket.close();
    },
  };
}

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
      "agent/providers/openai_compat.ts",
    ]);
  } finally {
    inspector.close();
    await gateway.stop();
    await Deno.remove(stateDir, { recursive: true });
  }
});
