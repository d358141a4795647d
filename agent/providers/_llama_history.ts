/**
 * @module Translations between the providers' common shapes and node-llama-cpp's: messages to a
 * chat history (tool calls folded into the model turn with their results), tool specs to
 * function definitions in the JSON-schema subset its grammar accepts.
 */

import type {
  ChatHistoryItem,
  ChatModelFunctionCall,
  ChatModelFunctions,
  ChatModelResponse,
  GbnfJsonSchema,
} from "node-llama-cpp";
import { type ChatMessage, contentText, type StreamEvent, type ToolSpec } from "./types.ts";

/**
 * The chat history node-llama-cpp continues: it ends with a model turn (empty for a new answer,
 * or the turn whose tool results the model is about to read).
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  const lastModel = (): ChatModelResponse | undefined => {
    const last = history.at(-1);
    return last?.type === "model" ? last : undefined;
  };
  for (const message of messages) {
    if (message.role === "system") {
      history.push({ type: "system", text: message.content });
    } else if (message.role === "user") {
      history.push({ type: "user", text: contentText(message.content) });
    } else if (message.role === "assistant") {
      // An answer that follows tool results continues the same model turn.
      let turn = lastModel();
      if (!turn) {
        turn = { type: "model", response: [] };
        history.push(turn);
      }
      if (message.content) turn.response.push(message.content);
      for (const call of message.toolCalls ?? []) {
        const item: ChatModelFunctionCall = {
          type: "functionCall",
          name: call.name,
          params: parseArguments(call.arguments),
          result: "",
        };
        calls.set(call.id, item);
        turn.response.push(item);
      }
    } else {
      const call = calls.get(message.toolCallId);
      if (call) call.result = contentText(message.content);
    }
  }
  if (!lastModel()) history.push({ type: "model", response: [] });
  return history;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return {};
  }
}

/** Tool specs as node-llama-cpp functions. */
export function toFunctions(tools: readonly ToolSpec[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const tool of tools) {
    functions[tool.name] = {
      description: tool.description,
      params: toGbnfSchema(tool.parameters, 0),
    };
  }
  return functions;
}

type Json = Record<string, unknown>;
const SCALARS = ["string", "number", "integer", "boolean", "null"] as const;
type Scalar = typeof SCALARS[number];
const isScalar = (value: unknown): value is Scalar => SCALARS.includes(value as Scalar);
const ANY: GbnfJsonSchema = { type: [...SCALARS] };

/**
 * Reduces a JSON Schema to the subset node-llama-cpp turns into a grammar. Its objects make every
 * listed property required, so optional ones may also be `null` (dropped again by
 * {@linkcode dropNullOptionals}).
 */
export function toGbnfSchema(schema: unknown, depth: number): GbnfJsonSchema {
  if (typeof schema !== "object" || schema === null || depth > 8) return ANY;
  const s = schema as Json;
  const description = typeof s.description === "string" ? { description: s.description } : {};
  if ("const" in s && (isScalar(typeof s.const) || s.const === null)) {
    return { const: s.const as string, ...description };
  }
  if (Array.isArray(s.enum) && s.enum.every((v) => v === null || isScalar(typeof v))) {
    return { enum: s.enum as string[], ...description };
  }
  const variants = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null;
  if (variants?.length) {
    return { oneOf: variants.map((v) => toGbnfSchema(v, depth + 1)), ...description };
  }
  const type = s.type ?? (s.properties ? "object" : s.items ? "array" : undefined);
  if (Array.isArray(type)) {
    if (type.every(isScalar)) return { type: type as Scalar[], ...description };
    return {
      oneOf: type.map((t) => toGbnfSchema({ ...s, type: t }, depth + 1)),
      ...description,
    };
  }
  if (type === "object") {
    const properties: Record<string, GbnfJsonSchema> = {};
    const required = new Set(Array.isArray(s.required) ? s.required : []);
    for (const [key, value] of Object.entries((s.properties ?? {}) as Json)) {
      const inner = toGbnfSchema(value, depth + 1);
      properties[key] = required.has(key) ? inner : { oneOf: [inner, { type: "null" }] };
    }
    const open = Object.keys(properties).length === 0 && s.additionalProperties !== false;
    return {
      type: "object",
      properties,
      ...(open ? { additionalProperties: true } : {}),
      ...description,
    };
  }
  if (type === "array") {
    return {
      type: "array",
      ...(s.items ? { items: toGbnfSchema(s.items, depth + 1) } : {}),
      ...(typeof s.minItems === "number" ? { minItems: s.minItems } : {}),
      ...(typeof s.maxItems === "number" ? { maxItems: s.maxItems } : {}),
      ...description,
    } as GbnfJsonSchema;
  }
  if (type === "string") {
    const format = ["date-time", "time", "date"].includes(s.format as string)
      ? { format: s.format as "date" }
      : {};
    return { type: "string", ...format, ...description } as GbnfJsonSchema;
  }
  return isScalar(type) ? { type, ...description } : ANY;
}

/** Removes the `null`s the grammar let the model write for optional top-level properties. */
export function dropNullOptionals(params: unknown, schema: Record<string, unknown>): unknown {
  if (typeof params !== "object" || params === null || Array.isArray(params)) return params;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.fromEntries(
    Object.entries(params).filter(([key, value]) => value !== null || required.has(key)),
  );
}

/** The function calls node-llama-cpp parsed from an answer, as `tool_call` events with fresh ids. */
export function toolCallEvents(
  calls: readonly { functionName: string; params: unknown }[],
  tools: readonly ToolSpec[],
): StreamEvent[] {
  return calls.map((call, index) => {
    const spec = tools.find((tool) => tool.name === call.functionName);
    const params = spec ? dropNullOptionals(call.params, spec.parameters) : call.params;
    return {
      type: "tool_call",
      index,
      call: {
        id: `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
        name: call.functionName,
        arguments: JSON.stringify(params ?? {}),
      },
    };
  });
}
