/**
 * @module The plain-body check of `/v1/chat/completions` (server/openai/_chat_request.ts
 * `plainChatBody`): every body it accepts, the zod schema accepts too and turns into the same
 * provider request; every body it declines goes to the schema, which words the error.
 */

import { assert, assertEquals } from "../../_helpers/assert.ts";
import {
  chatCompletionSchema,
  chatCompletionTurn,
  plainChatBody,
} from "../../../server/openai/_chat_request.ts";

const user = { role: "user", content: "Hi" };
const base = { model: "gpt-test", messages: [user] };

/** Bodies the check should take as they are. */
const plain: Record<string, unknown>[] = [
  base,
  { ...base, stream: true },
  { ...base, stream: false, stream_options: { include_usage: true } },
  { ...base, stream: null, stream_options: null },
  { ...base, stream_options: { include_usage: false, extra: 1 } },
  {
    model: "fake/gpt-test",
    messages: [
      { role: "system", content: "Be brief" },
      { role: "developer", content: "Be kind" },
      { role: "user", content: "Hi", name: "ann" },
      { role: "assistant", content: "Hello" },
      { role: "assistant", content: null },
      { role: "assistant" },
      user,
    ],
  },
  {
    ...base,
    temperature: 0,
    top_p: 1,
    max_tokens: 5,
    max_completion_tokens: 7,
    stop: "END",
    seed: -3,
    n: 1,
    user: "u-1",
  },
  { ...base, temperature: 2, top_p: 0, max_tokens: null, seed: null, n: null, stop: null },
  { ...base, unknown_field: { anything: true }, metadata: {} },
  { ...base, user: "x".repeat(256), model: "m".repeat(256) },
];

/** Bodies the check must leave to the schema: tools, parts, bad values, edge lengths. */
const declined: unknown[] = [
  null,
  [],
  "text",
  42,
  {},
  { model: "gpt-test" },
  { ...base, model: "" },
  { ...base, model: "m".repeat(257) },
  { ...base, model: 7 },
  { ...base, messages: [] },
  { ...base, messages: "Hi" },
  { ...base, messages: [null] },
  { ...base, messages: [[]] },
  { ...base, messages: [{ role: "user" }] },
  { ...base, messages: [{ role: "user", content: null }] },
  { ...base, messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }] },
  { ...base, messages: [{ role: "robot", content: "Hi" }] },
  { ...base, messages: [{ role: "tool", tool_call_id: "c1", content: "42" }] },
  { ...base, messages: [{ role: "system", content: 5 }] },
  { ...base, messages: [{ role: "assistant", content: 5 }] },
  {
    ...base,
    messages: [{
      role: "assistant",
      content: null,
      tool_calls: [{ id: "c1", type: "function", function: { name: "f" } }],
    }],
  },
  { ...base, stream: "yes" },
  { ...base, stream_options: { include_usage: "yes" } },
  { ...base, stream_options: [] },
  { ...base, stream_options: "all" },
  { ...base, temperature: 2.5 },
  { ...base, temperature: -1 },
  { ...base, temperature: "1" },
  { ...base, top_p: 1.5 },
  { ...base, max_tokens: 0 },
  { ...base, max_tokens: 1.5 },
  { ...base, max_tokens: 2 ** 60 },
  { ...base, max_completion_tokens: -1 },
  { ...base, seed: 0.5 },
  { ...base, n: 2 },
  { ...base, stop: ["a", "b"] },
  { ...base, stop: 1 },
  { ...base, user: null },
  { ...base, user: 5 },
  { ...base, user: "x".repeat(257) },
  { ...base, tools: [] },
  { ...base, tool_choice: "auto" },
  { ...base, response_format: { type: "json_object" } },
  // The sampling extras, which the schema checks and the turn carries.
  { ...base, logprobs: false },
  { ...base, logprobs: true, top_logprobs: 2 },
  { ...base, presence_penalty: 0.5, frequency_penalty: 0 },
  { ...base, logit_bias: { "50256": -100 } },
  { ...base, parallel_tool_calls: false },
  { ...base, logprobs: "yes" },
  { ...base, top_logprobs: 21 },
  { ...base, presence_penalty: 3 },
  { ...base, logit_bias: { "1": 101 } },
];

Deno.test("plainChatBody takes plain bodies as they are, and the schema accepts them alike", () => {
  for (const body of plain) {
    const taken = plainChatBody(body);
    assert(taken === body, `declined ${JSON.stringify(body)}`);
    const parsed = chatCompletionSchema.safeParse(body);
    assert(parsed.success, `the schema refuses ${JSON.stringify(body)}`);
    assertEquals(chatCompletionTurn(taken), chatCompletionTurn(parsed.data));
    assertEquals(
      [taken.model, taken.stream, taken.stream_options?.include_usage],
      [parsed.data.model, parsed.data.stream, parsed.data.stream_options?.include_usage],
    );
  }
});

Deno.test("plainChatBody leaves every other body to the schema", () => {
  for (const body of declined) {
    assertEquals(plainChatBody(body), undefined, JSON.stringify(body));
  }
  // Among them, the ones the schema refuses: the check took none of those.
  const refused = declined.filter((body) => !chatCompletionSchema.safeParse(body).success);
  assert(refused.length >= 30, `${refused.length} refused`);
});

Deno.test("the sampling extras the schema accepts reach the provider turn", () => {
  const body = chatCompletionSchema.parse({
    ...base,
    logprobs: true,
    top_logprobs: 2,
    presence_penalty: 0.5,
    frequency_penalty: -1,
    logit_bias: { "50256": -100 },
    parallel_tool_calls: false,
    user: "u",
  });
  const turn = chatCompletionTurn(body);
  assertEquals(
    [
      turn.logprobs,
      turn.topLogprobs,
      turn.presencePenalty,
      turn.frequencyPenalty,
      turn.logitBias,
      turn.parallelToolCalls,
      turn.user,
    ],
    [true, 2, 0.5, -1, { "50256": -100 }, false, "u"],
  );
});
