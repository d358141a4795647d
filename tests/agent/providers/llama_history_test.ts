/** @module Tests of the message and tool-schema translations for node-llama-cpp. */

import {
  dropNullOptionals,
  toChatHistory,
  toGbnfSchema,
  toolCallEvents,
} from "../../../agent/providers/_llama_history.ts";
import { assert, assertEquals } from "../../_helpers/assert.ts";

Deno.test("toChatHistory folds tool calls and results into the model turn", () => {
  const history = toChatHistory([
    { role: "system", content: "sys" },
    { role: "user", content: [{ type: "text", text: "hi" }] },
    {
      role: "assistant",
      content: "checking",
      toolCalls: [{ id: "a", name: "clock", arguments: '{"zone":"UTC"}' }],
    },
    { role: "tool", toolCallId: "a", name: "clock", content: "12:00" },
    { role: "assistant", content: "It is noon" },
    { role: "user", content: "thanks" },
  ]);
  assertEquals(history, [
    { type: "system", text: "sys" },
    { type: "user", text: "hi" },
    {
      type: "model",
      response: [
        "checking",
        { type: "functionCall", name: "clock", params: { zone: "UTC" }, result: "12:00" },
        "It is noon",
      ],
    },
    { type: "user", text: "thanks" },
    { type: "model", response: [] },
  ]);
});

Deno.test("toGbnfSchema makes optional properties nullable and keeps the grammar subset", () => {
  const schema = {
    type: "object",
    properties: {
      path: { type: "string", description: "file" },
      pages: { type: ["integer", "null"] },
      mode: { enum: ["a", "b"] },
      tags: { type: "array", items: { type: "string" }, maxItems: 3 },
      extra: { type: "object" },
    },
    required: ["path"],
    $schema: "http://json-schema.org/draft-07/schema#",
  };
  assertEquals(toGbnfSchema(schema, 0), {
    type: "object",
    properties: {
      path: { type: "string", description: "file" },
      pages: { oneOf: [{ type: ["integer", "null"] }, { type: "null" }] },
      mode: { oneOf: [{ enum: ["a", "b"] }, { type: "null" }] },
      tags: {
        oneOf: [{ type: "array", items: { type: "string" }, maxItems: 3 }, { type: "null" }],
      },
      extra: {
        oneOf: [{ type: "object", properties: {}, additionalProperties: true }, { type: "null" }],
      },
    },
  });
  assertEquals(dropNullOptionals({ path: "x", pages: null }, schema), { path: "x" });
});

Deno.test("toolCallEvents turns parsed function calls into tool_call events", () => {
  const events = toolCallEvents(
    [
      { functionName: "clock", params: { zone: "UTC", verbose: null } },
      { functionName: "ping", params: undefined },
    ],
    [{
      name: "clock",
      description: "",
      parameters: { type: "object", properties: { zone: {}, verbose: {} }, required: ["zone"] },
    }],
  );
  assertEquals(
    events.map((e) => e.type === "tool_call" && [e.index, e.call.name, e.call.arguments]),
    [
      [0, "clock", '{"zone":"UTC"}'],
      [1, "ping", "{}"],
    ],
  );
  const ids = events.map((e) => e.type === "tool_call" && e.call.id);
  assert(ids.every((id) => typeof id === "string" && /^call_[0-9a-f]{24}$/.test(id)));
  assert(ids[0] !== ids[1]);
});
