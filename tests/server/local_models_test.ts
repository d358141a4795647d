/**
 * @module End to end: `pyclaw models download` from the stand-in hub into a running gateway's
 * state dir, `models select`, then the gateway lists, probes and chats with the model through
 * node-llama-cpp (a tiny random-weight GGUF: gibberish, so the test checks structure and counts).
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { recordEvents } from "../_helpers/chat_gateway.ts";
import { startFakeHub } from "../_helpers/fake_hub.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { startInProcessGateway } from "../_helpers/in_process_gateway.ts";
import { PYCLAW } from "../_helpers/cli.ts";
import { CALLING_MODEL, TINY_MODEL_ID, tinyModelStore } from "../_helpers/tiny_model.ts";
import { defineTool } from "../../tools/tool.ts";
import { z } from "zod";
import { buildTinyGguf } from "../../scripts/make_tiny_gguf.ts";

const REPO = "pyclaw/Tiny-GGUF";
const ID = `${REPO}/tiny-q4_k_m.gguf`;

async function pyclaw(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(PYCLAW, {
    args: ["models", ...args],
    env: { NO_COLOR: "1", PYCLAW_CONFIG_PATH: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("download, select, then models.list, models.probe and chat.send on a local GGUF", async () => {
  await using hub = startFakeHub({
    repos: { [REPO]: [{ path: "tiny-q4_k_m.gguf", content: buildTinyGguf() }] },
  });
  await using gw = await startTestGateway({
    watch: true,
    config: {
      models: {
        local: { threads: 1, gpuLayers: 0, contextSize: 8192 },
        // A model entry caps the answer, as a user would for a slow local model.
        providers: { llamacpp: { models: [{ id: ID, maxTokens: 6 }] } },
      },
      // Two tools reach the model as functions; every tool's description would not fit the tiny
      // model's byte-level context.
      agents: { defaults: { tools: { allow: ["read_pdf", "read_docx"] } } },
    },
  });
  const env = { PYCLAW_STATE_DIR: gw.stateDir, HF_ENDPOINT: hub.url };
  const downloaded = await pyclaw(["download", REPO], env);
  assertEquals(downloaded.code, 0, downloaded.stderr);
  const selected = await pyclaw(["select", ID], env);
  assertEquals(selected.code, 0, selected.stderr);

  const client = await gw.connect();
  await waitFor(
    async () => {
      const { value } = await client.request("config.get", {
        key: "agents.defaults.model",
      });
      return value === `llamacpp/${ID}`;
    },
    5_000,
    "the gateway to reload the selected model",
  );

  const models = await client.request("models.list", {});
  assert(
    models.some((m) => m.id === ID && m.provider === "llamacpp"),
    JSON.stringify(models),
  );
  const probe = await client.request("models.probe", {
    model: `llamacpp/${ID}`,
  });
  assertEquals(probe.available, true);

  const events = recordEvents(client);
  const answer = await client.request("chat.send", {
    message: "Say something",
  }, { timeoutMs: 60_000 });
  assertEquals(answer.completed, true);
  const deltas = events.named("chat.delta");
  assert(deltas.length >= 1, "tokens were streamed");
  assert(deltas.every((d) => d.role === "assistant" && typeof d.delta === "string"));
  const done = events.named("chat.done")[0];
  const completion = done.usage.completionTokens;
  assert(completion >= 1 && completion <= 6, `capped by the model entry: ${completion}`);
  assert(done.usage.promptTokens > 0, JSON.stringify(done.usage));

  const usage = await client.request(
    "usage.get",
    {},
  );
  assert(usage.byModel.some((m) => m.provider === "llamacpp" && m.model === ID));
  assertMatch(downloaded.stdout, /Chose tiny-q4_k_m\.gguf \(Q4_K_M/);

  // The OpenAI-compatible API sees the same model and streams from it.
  const openai = new OpenAI({ baseURL: `${gw.baseUrl}/v1`, apiKey: gw.token });
  const listed = await openai.models.list();
  assert(listed.data.some((m) => m.id === ID && m.owned_by === "llamacpp"), JSON.stringify(listed));
  const stream = await openai.chat.completions.create({
    model: `llamacpp/${ID}`,
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 4,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let chunks = 0;
  let completionTokens = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) chunks++;
    if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
  }
  assert(chunks >= 1, "content chunks were streamed");
  assertEquals(completionTokens, 4);
});

Deno.test("chat.abort stops a local generation and the model answers the next message", async () => {
  await using gw = await startInProcessGateway({
    config: {
      models: {
        local: { threads: 1, gpuLayers: 0, contextSize: 8192 },
        providers: { llamacpp: { models: [{ id: TINY_MODEL_ID, maxTokens: 4000 }] } },
      },
      // No tools: their documentation would fill most of the tiny model's byte-level context.
      agents: { defaults: { model: `llamacpp/${TINY_MODEL_ID}`, tools: { allow: [] } } },
    },
  });
  await using _tiny = await tinyModelStore(gw.stateDir);
  const client = await gw.connect();
  const events = recordEvents(client);
  const sending = client.request("chat.send", { message: "Go on" }, {
    timeoutMs: 60_000,
  });
  await events.next("chat.delta", undefined, 30_000);
  const aborted = await client.request("chat.abort", { sessionId: "main" });
  assertEquals(aborted.aborted, true);
  const answer = await sending;
  assertEquals([answer.completed, answer.aborted], [false, true]);
  const done = await events.next("chat.done");
  assertEquals(done.aborted, true);
  assert(events.named("chat.delta").length < 4000, "stopped before the token limit");

  const next = await client.request("chat.send", { message: "Again" }, {
    timeoutMs: 60_000,
  });
  assertEquals(next.completed, true, JSON.stringify(events.named("chat.error")));
});

Deno.test("chat.send runs a tool the local model calls and feeds the result back", async () => {
  await using gw = await startInProcessGateway({
    config: {
      models: {
        local: { threads: 1, gpuLayers: 0, contextSize: 8192 },
        providers: { llamacpp: { models: [{ id: TINY_MODEL_ID, maxTokens: 200 }] } },
      },
      // The second round offers no tools, so the run ends with text.
      agents: {
        defaults: {
          model: `llamacpp/${TINY_MODEL_ID}`,
          maxIterations: 2,
          tools: { allow: ["clock"] },
        },
      },
    },
  });
  const zones: string[] = [];
  gw.gateway.services.tools.register(defineTool({
    name: "clock",
    description: "Current time in a zone",
    parameters: z.object({ zone: z.enum(["UTC", "CET"]) }),
    run: ({ zone }) => {
      zones.push(zone);
      return Promise.resolve({ content: `12:00 ${zone}` });
    },
  }));
  await using _tiny = await tinyModelStore(gw.stateDir, CALLING_MODEL);
  const client = await gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", {
    message: "What time is it?",
  }, { timeoutMs: 60_000 });
  assertEquals(answer.completed, true, JSON.stringify(events.named("chat.error")));
  const chat = events.frames.filter((f) => f.event.startsWith("chat."));
  assertEquals(chat.slice(0, 2).map((f) => f.event), ["chat.tool_call", "chat.tool_result"]);
  const call = events.named("chat.tool_call")[0];
  assertEquals(call.tool, "clock");
  assertEquals(zones.length, 1);
  assertEquals(call.args, { zone: zones[0] });
  assertMatch(JSON.stringify(events.named("chat.tool_result")[0].result), /12:00 (UTC|CET)/);
  assertEquals(chat.at(-1)?.event, "chat.done");
});
