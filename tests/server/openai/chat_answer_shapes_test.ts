/**
 * @module What the gateway makes of an upstream answer of another shape than OpenAI's: fields
 * of the wrong type, whole or streamed, and a body that is not JSON. Each comes out in the form
 * a client reads, or as the upstream's error (502), never as a crash (500) or "Cannot reach".
 */

import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { plainAnswer, postPlain, startWithRaw } from "./_raw_upstream.ts";

Deno.test("a non-streamed answer's usage and message of the wrong shape are replaced, not passed on", async () => {
  await using t = await startWithRaw();
  t.raw.answer({ choices: [{ message: { content: "ok" }, finish_reason: "stop" }], usage: [] });
  const completion = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
  });
  assertEquals(completion.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  assertEquals(completion.choices[0].message.content, "ok");

  t.raw.answer({ choices: [{ message: ["Hi"], finish_reason: "stop" }], usage: "lots" });
  const odd = await plainAnswer(t);
  assertEquals(odd.choices[0].message, { role: "assistant", content: "", refusal: null });
  assertEquals(odd.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

  // Tool calls that are not objects still come out in the form a client reads.
  t.raw.answer({ choices: [{ message: { tool_calls: [null, "x"] } }] });
  const calls = await plainAnswer(t);
  assertEquals(calls.choices[0].message.tool_calls, [
    { id: "call_0", type: "function", function: { name: "", arguments: "" } },
    { id: "call_1", type: "function", function: { name: "", arguments: "" } },
  ]);
  assertEquals(calls.choices[0].finish_reason, "tool_calls");
});

Deno.test("an answer's fields of the wrong type come out as strings or null, passed on or through events", async () => {
  await using t = await startWithRaw();
  const odd = {
    choices: [{
      message: {
        content: "",
        refusal: 5,
        tool_calls: [{ id: 7, type: "function", function: { name: 5, arguments: { a: 1 } } }],
      },
      logprobs: "no",
      finish_reason: "tool_calls",
    }],
  };
  t.raw.answer(odd);
  const passed = await plainAnswer(t);
  // Arguments given as an object are kept, as their JSON text.
  assertEquals(passed.choices[0].message.tool_calls, [
    { id: "call_0", type: "function", function: { name: "", arguments: '{"a":1}' } },
  ]);
  assertEquals(passed.choices[0].message.refusal, null);
  assertEquals(passed.choices[0].logprobs, null);

  // The same answer through the provider's events (/v1/responses builds its items from them).
  t.raw.answer(odd);
  const response = await t.sdk.responses.create({ model: "raw-model", input: "Hi" });
  const call = response.output.find((item) => item.type === "function_call");
  assertEquals(
    call && { call_id: call.call_id, name: call.name, arguments: call.arguments },
    { call_id: "call_0", name: "", arguments: '{"a":1}' },
  );
});

Deno.test("an answer that is not JSON is the upstream's error, not 'Cannot reach'", async () => {
  await using t = await startWithRaw();
  t.raw.answer(new Response("<html>502 from a proxy</html>", { status: 200 }));
  const response = await postPlain(t);
  assertEquals(response.status, 502);
  const { error } = await response.json();
  assertMatch(error.message, /Provider raw sent an answer that cannot be read/);
});

Deno.test("a streamed answer's frames of the wrong shape are read as the whole answer is, not a crash", async () => {
  await using t = await startWithRaw();
  const frames = [
    { choices: [{ delta: { content: "Hi" } }] },
    { choices: [{ delta: { tool_calls: [null] } }] },
    { choices: [{ delta: { tool_calls: { a: 1 } } }] },
    {
      choices: [{
        delta: {
          tool_calls: [{ index: "0", id: 7, function: { name: "lookup", arguments: { a: 1 } } }],
        },
      }],
    },
    { choices: [{ delta: {}, finish_reason: "tool_calls" }], usage: { prompt_tokens: "3" } },
  ];
  t.raw.answer(
    new Response(
      frames.map((f) => `data: ${JSON.stringify(f)}\n\n`).join("") + "data: [DONE]\n\n",
      {
        headers: { "content-type": "text/event-stream" },
      },
    ),
  );
  const stream = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
    stream: true,
  });
  let text = "";
  const calls = new Map<number, { id: unknown[]; name: string; arguments: string }>();
  let finish: string | null = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? "";
    for (const part of choice.delta.tool_calls ?? []) {
      const call = calls.get(part.index) ?? { id: [], name: "", arguments: "" };
      if (part.id !== undefined) call.id.push(part.id);
      call.name += part.function?.name ?? "";
      call.arguments += part.function?.arguments ?? "";
      calls.set(part.index, call);
    }
    finish = choice.finish_reason ?? finish;
  }
  assertEquals(text, "Hi");
  assertEquals([...calls.keys()], [0]);
  const call = calls.get(0)!;
  assertEquals(call.name, "lookup");
  assertEquals(call.arguments, '{"a":1}');
  assertEquals(call.id.every((id) => typeof id === "string"), true);
  assertEquals(finish, "tool_calls");
});
