/**
 * @module `agent:<id>` as a model of the OpenAI-compatible API: which session a request's `user`
 * names, how the agent's provider failures read to the client, and what the request's sampling
 * options reach the agent's model calls.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { sessionIdOf } from "../../../server/openai/_model_source.ts";
import { defineTool } from "../../../tools/tool.ts";
import { z } from "zod";

function sdk(env: { gw: { baseUrl: string; token: string | undefined } }) {
  return new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: env.gw.token!, maxRetries: 0 });
}

Deno.test("agent:<id> keeps users whose names differ only in other characters apart", async () => {
  await using env = await startChatGateway();
  env.upstream.setDefault({ text: "Noted" });
  const client = sdk(env);
  const users = ["bob@corp", "bob_corp", "bob corp", "bob/corp", "x".repeat(100) + "-tail"];
  for (const user of users) {
    await client.chat.completions.create({
      model: "agent:main",
      messages: [{ role: "user", content: `I am ${user}` }],
      user,
    });
  }
  // Each user's session holds its own turn and no one else's.
  const ids = await Promise.all(users.map(sessionIdOf));
  assertEquals(new Set(ids).size, users.length);
  for (const [i, user] of users.entries()) {
    const history = await env.gw.gateway.services.chat.history("main", ids[i]);
    assertEquals(history.messages.map((m) => m.content), [`I am ${user}`, "Noted"]);
  }
  // Every upstream call carried only its own user's words (system prompt and one turn).
  assert(env.upstream.requests.every((request) => request.body.messages.length === 2));
});

Deno.test("a clean user keeps the session id it always had; other values get a readable, hashed one", async () => {
  assertEquals(await sessionIdOf("alice"), "http-alice");
  assertEquals(await sessionIdOf("bob_corp"), "http-bob_corp");
  assertEquals(await sessionIdOf("team:a.b-1"), "http-team:a.b-1");
  const hashed = await sessionIdOf("bob@corp");
  assertMatch(hashed, /^http-bob_corp-h[0-9a-f]{16}$/);
  assertEquals(await sessionIdOf("bob@corp"), hashed, "the same user, the same session");
  // A clean name that looks like a hashed one cannot take that session.
  const lookalike = hashed.slice("http-".length);
  assert(await sessionIdOf(lookalike) !== hashed);
  // Over 100 characters, and `..`, are no longer cut or rewritten into another user's name.
  const long = "a".repeat(100);
  assert(await sessionIdOf(`${long}1`) !== await sessionIdOf(`${long}2`));
  assert(await sessionIdOf("a..b") !== await sessionIdOf("a_b"));
  for (const user of ["bob@corp", "a".repeat(256), "..", "ünïcödé", " "]) {
    assertMatch(await sessionIdOf(user), /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/);
  }
});

Deno.test("agent:<id> reports its provider's failure as a plain model does: status and message", async () => {
  await using env = await startChatGateway();
  const client = sdk(env);
  const ask = (model: string) =>
    client.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }] });

  env.upstream.reply({ error: { status: 500, message: "upstream boom" } });
  const plain = await assertRejects(() => ask("fake/gpt-test"), OpenAI.APIError);
  env.upstream.reply({ error: { status: 500, message: "upstream boom" } });
  const agent = await assertRejects(() => ask("agent:main"), OpenAI.APIError);
  assertEquals(plain.status, 502);
  assertEquals([agent.status, agent.message], [plain.status, plain.message]);
  assertMatch(agent.message, /upstream boom/);

  env.upstream.reply({ error: { status: 429, message: "slow down", retryAfter: 7 } });
  const limited = await assertRejects(() => ask("agent:main"), OpenAI.RateLimitError);
  assertEquals(limited.headers?.get("retry-after"), "7");

  // A failure mid-stream is reported in-band with the provider's words too.
  env.upstream.reply({ chunks: ["partial ", "answer"], breakAfter: 1 });
  const response = await fetch(`${env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "agent:main",
      stream: true,
      messages: [{ role: "user", content: "Hi" }],
    }),
  });
  const text = await response.text();
  const error = text.split("\n").filter((line) => line.includes('"error"'))
    .map((line) => JSON.parse(line.slice("data: ".length)).error)[0];
  assert(error, text);
  assert(error.message !== "Internal server error", error.message);
  assertMatch(error.message, /fake/);

  // Only the gateway's own failures (none of the above) are logged as errors.
  const log = await Deno.readTextFile(env.gw.paths.logFile).catch(() => "");
  assert(!log.includes("openai api failed"), log);
});

Deno.test("agent:<id> caps its model calls at max_tokens / max_completion_tokens", async () => {
  await using env = await startChatGateway();
  env.upstream.setDefault({ text: "Short" });
  const client = sdk(env);
  await client.chat.completions.create({
    model: "agent:main",
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 17,
  });
  await client.chat.completions.create({
    model: "agent:main",
    messages: [{ role: "user", content: "Hi" }],
    max_completion_tokens: 23,
    temperature: 0.3,
  });
  await client.chat.completions.create({
    model: "agent:main",
    messages: [{ role: "user", content: "Hi" }],
  });
  const sent = env.upstream.requests.map((request) => request.body);
  assertEquals(sent[0].max_tokens, 17);
  assertEquals([sent[1].max_tokens, sent[1].temperature], [23, 0.3]);
  // Without one, the agent's own limit, which a request cannot raise.
  assert(sent[2].max_tokens > 23, String(sent[2].max_tokens));
  await client.chat.completions.create({
    model: "agent:main",
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 10_000_000,
  });
  assertEquals(env.upstream.requests.at(-1)!.body.max_tokens, sent[2].max_tokens);
});

Deno.test("agent:<id> gives a user's session from before hashed ids to the first user to come back", async () => {
  await using env = await startChatGateway();
  env.upstream.setDefault({ text: "Welcome back" });
  const { sessions } = env.gw.gateway.services;
  // bob@corp's session as an earlier version named it: its characters outside [A-Za-z0-9_.:-]
  // as `_`, the id bob corp (and the clean name bob_corp) shared.
  const legacy = "http-bob_corp";
  const time = new Date().toISOString();
  await sessions.append(
    "main",
    legacy,
    { role: "user", content: "My name is Bob", time },
    { role: "assistant", content: "Hello Bob", time },
  );
  // Written by an earlier version, before hashed ids first ran in this state dir (this gateway is
  // the first to run them); one written since is the clean user bob_corp's own (the next test).
  const written = new Date(Date.now() - 86_400_000);
  await Deno.utime(sessions.file("main", legacy), written, written);
  const client = sdk(env);
  const ask = (user: string) =>
    client.chat.completions.create({
      model: "agent:main",
      messages: [{ role: "user", content: `Who am I? (${user})` }],
      user,
    });
  await ask("bob@corp");
  const hashed = await sessionIdOf("bob@corp");
  const history = await env.gw.gateway.services.chat.history("main", hashed);
  assertEquals(history.messages.map((m) => m.content), [
    "My name is Bob",
    "Hello Bob",
    "Who am I? (bob@corp)",
    "Welcome back",
  ]);
  // The model saw the history: system prompt, the two old messages and the new one.
  assertEquals(env.upstream.requests[0].body.messages.length, 4);
  assertEquals(await sessions.exists("main", legacy), false);

  // Adopted once: another user of the old shared id starts afresh, bob@corp keeps its own.
  await ask("bob corp");
  assertEquals(env.upstream.requests[1].body.messages.length, 2);
  await ask("bob@corp");
  assertEquals(env.upstream.requests[2].body.messages.length, 6);

  const log = await Deno.readTextFile(env.gw.paths.logFile);
  const adoptions = log.split("\n").filter((line) => line.includes("legacy session adopted"));
  assertEquals(adoptions.length, 1, log);
  assertMatch(adoptions[0], new RegExp(hashed));
});

Deno.test("agent:<id> leaves a clean user's session, written since hashed ids ran, to it across restarts", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-adoption-" });
  const ask = (env: Parameters<typeof sdk>[0], user: string) =>
    sdk(env).chat.completions.create({
      model: "agent:main",
      messages: [{ role: "user", content: `Hello from ${user}` }],
      user,
    });
  try {
    {
      await using env = await startChatGateway({ stateDir });
      env.upstream.setDefault({ text: "Hi" });
      await ask(env, "bob_corp");
    }
    // The gateway restarts: bob_corp's session is older than this gateway, not than hashed ids.
    await using env = await startChatGateway({ stateDir });
    env.upstream.setDefault({ text: "Hi" });
    await ask(env, "bob@corp");
    assertEquals(env.upstream.requests[0].body.messages.length, 2);
    const { sessions } = env.gw.gateway.services;
    assertEquals(await sessions.exists("main", "http-bob_corp"), true);
    await ask(env, "bob_corp");
    assertEquals(env.upstream.requests[1].body.messages.length, 4);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("agent:<id> spends max_tokens over the whole turn and reports finish_reason length", async () => {
  await using env = await startChatGateway();
  let runs = 0;
  env.gw.gateway.services.tools.register(defineTool({
    name: "echo",
    description: "Repeats the text",
    parameters: z.object({ text: z.string() }),
    run: ({ text }) => {
      runs++;
      return Promise.resolve({ content: `echo: ${text}` });
    },
  }));
  const client = sdk(env);
  const ask = (max_tokens: number) =>
    client.chat.completions.create({
      model: "agent:main",
      messages: [{ role: "user", content: "Echo hi" }],
      max_tokens,
    });

  // Each call may write what the earlier ones left, as the provider counted them.
  env.upstream.reply(
    {
      toolCalls: [{ name: "echo", arguments: { text: "hi" } }],
      usage: { prompt: 5, completion: 12 },
    },
    { text: "Done", usage: { prompt: 9, completion: 5 } },
  );
  const whole = await ask(30);
  assertEquals(env.upstream.requests.map((r) => r.body.max_tokens), [30, 18]);
  assertEquals([whole.choices[0].finish_reason, whole.usage?.completion_tokens], ["stop", 17]);
  assertEquals(runs, 1);

  // A budget spent on tool calls ends the turn there: the calls are not run (nothing is left
  // to read their results), and the client is told the answer was cut.
  env.upstream.reply({
    toolCalls: [{ name: "echo", arguments: { text: "again" } }],
    usage: { prompt: 5, completion: 20 },
  });
  const spent = await ask(20);
  assertEquals(env.upstream.requests.length, 3);
  assertEquals([spent.choices[0].finish_reason, runs], ["length", 1]);

  // A model that stops at the limit it was given: length, streamed and not, and for responses.
  env.upstream.setDefault({ text: "Cut sho", finishReason: "length" });
  assertEquals((await ask(3)).choices[0].finish_reason, "length");
  const stream = await client.chat.completions.create({
    model: "agent:main",
    messages: [{ role: "user", content: "Hi" }],
    max_tokens: 3,
    stream: true,
  });
  const reasons: (string | null)[] = [];
  for await (const chunk of stream) reasons.push(chunk.choices[0]?.finish_reason ?? null);
  assertEquals(reasons.filter(Boolean), ["length"]);
  const response = await client.responses.create({
    model: "agent:main",
    input: "Hi",
    max_output_tokens: 16,
  });
  assertEquals(
    [response.status, response.incomplete_details?.reason],
    ["incomplete", "max_output_tokens"],
  );
});

Deno.test("agent:<id> at its tool-round limit says so in the answer an OpenAI client reads", async () => {
  await using env = await startChatGateway({
    config: { agents: { defaults: { model: "fake/gpt-test", maxIterations: 2 } } },
  });
  env.gw.gateway.services.tools.register(defineTool({
    name: "echo",
    description: "Repeats the text",
    parameters: z.object({ text: z.string() }),
    run: ({ text }) => Promise.resolve({ content: `echo: ${text}` }),
  }));
  // A model that calls the tool round after round, tools offered or not.
  env.upstream.setDefault({ toolCalls: [{ name: "echo", arguments: { text: "x" } }] });
  const answer = await sdk(env).chat.completions.create({
    model: "agent:main",
    messages: [{ role: "user", content: "Loop" }],
  });
  assertEquals(env.upstream.requests.length, 2);
  assertMatch(answer.choices[0].message.content ?? "", /^\[Stopped: .*maxIterations/);
});
