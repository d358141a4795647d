/**
 * @module The body of `POST /v1/responses`: string or item input, `instructions`, function
 * tools; validated with zod and translated into the providers' common request.
 */

import { z } from "zod";
import type { ChatMessage, ContentPart, ToolSpec } from "../../agent/providers/types.ts";
import { imageFromUrl, parametersSchema, RequestError } from "./_chat_request.ts";
import type { Turn } from "./_model_source.ts";

const inputPart = z.union([
  z.object({ type: z.enum(["input_text", "output_text"]), text: z.string() }),
  z.object({
    type: z.literal("input_image"),
    image_url: z.string(),
    detail: z.string().optional(),
  }),
  z.object({ type: z.string() }).passthrough(),
]);

const messageItem = z.object({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(inputPart)]),
});
const functionCallItem = z.object({
  type: z.literal("function_call"),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
});
const functionOutputItem = z.object({
  type: z.literal("function_call_output"),
  call_id: z.string(),
  output: z.union([z.string(), z.array(inputPart)]),
});
const otherItem = z.object({ type: z.string() }).passthrough();

export const responsesSchema = z.object({
  model: z.string().min(1).max(256),
  input: z.union([
    z.string(),
    z.array(z.union([messageItem, functionCallItem, functionOutputItem, otherItem])).min(1),
  ]),
  instructions: z.string().nullish(),
  tools: z.array(
    z.object({
      type: z.string(),
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must match ^[A-Za-z0-9_-]{1,64}$")
        .optional(),
      description: z.string().nullish(),
      parameters: parametersSchema.nullish(),
      strict: z.boolean().nullish(),
    }).passthrough(),
  ).optional(),
  tool_choice: z.union([
    z.enum(["auto", "none", "required"]),
    z.object({ type: z.literal("function"), name: z.string() }),
  ]).optional(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  previous_response_id: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().max(256).optional(),
  text: z.object({
    format: z.discriminatedUnion("type", [
      z.object({ type: z.literal("text") }),
      z.object({ type: z.literal("json_object") }),
      z.object({
        type: z.literal("json_schema"),
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must match ^[A-Za-z0-9_-]{1,64}$"),
        schema: z.record(z.string(), z.unknown()),
        description: z.string().nullish(),
        strict: z.boolean().nullish(),
      }),
    ], { error: 'must be of type "text", "json_object" or "json_schema"' }).optional(),
  }).passthrough().nullish(),
});

/** The `text.format` of a body, as the answer echoes it. */
export type TextFormat = NonNullable<NonNullable<ResponsesBody["text"]>["format"]>;

/**
 * Chat Completions' `response_format` for a Responses `text.format`: the schema's fields move
 * under `json_schema`; plain text asks for nothing.
 */
function responseFormatOf(format: TextFormat | undefined): Record<string, unknown> | undefined {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  const { type: _type, ...schema } = format;
  const jsonSchema: Record<string, unknown> = { name: schema.name, schema: schema.schema };
  if (schema.description != null) jsonSchema.description = schema.description;
  if (schema.strict != null) jsonSchema.strict = schema.strict;
  return { type: "json_schema", json_schema: jsonSchema };
}

export type ResponsesBody = z.output<typeof responsesSchema>;

function parts(content: string | z.output<typeof inputPart>[]): string | ContentPart[] {
  if (typeof content === "string") return content;
  return content.map((part): ContentPart => {
    if (part.type === "input_text" || part.type === "output_text") {
      return { type: "text", text: String(part.text) };
    }
    if (part.type === "input_image") return imageFromUrl(String(part.image_url));
    throw new RequestError(`Unsupported input content type: ${part.type}`, "input");
  });
}

function text(content: string | ContentPart[]): string {
  return typeof content === "string"
    ? content
    : content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** Translates a validated body into a provider turn. @throws {RequestError} */
export function responsesTurn(body: ResponsesBody): Turn {
  if (body.previous_response_id) {
    throw new RequestError(
      "previous_response_id is not supported: responses are not stored, send the whole input",
      "previous_response_id",
    );
  }
  const messages: ChatMessage[] = [];
  if (body.instructions) messages.push({ role: "system", content: body.instructions });
  const names = new Map<string, string>();
  const items = typeof body.input === "string"
    ? [{ role: "user" as const, content: body.input }]
    : body.input;
  for (const item of items) {
    if (item.type === "function_call") {
      const call = item as z.output<typeof functionCallItem>;
      names.set(call.call_id, call.name);
      const last = messages.at(-1);
      const toolCall = { id: call.call_id, name: call.name, arguments: call.arguments };
      if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), toolCall];
      else messages.push({ role: "assistant", content: "", toolCalls: [toolCall] });
    } else if (item.type === "function_call_output") {
      const output = item as z.output<typeof functionOutputItem>;
      messages.push({
        role: "tool",
        toolCallId: output.call_id,
        name: names.get(output.call_id) ?? "tool",
        content: text(parts(output.output)),
      });
    } else if ("role" in item && (item.type === undefined || item.type === "message")) {
      const message = item as z.output<typeof messageItem>;
      const content = parts(message.content);
      if (message.role === "user") messages.push({ role: "user", content });
      else if (message.role === "assistant") {
        messages.push({ role: "assistant", content: text(content) });
      } else messages.push({ role: "system", content: text(content) });
    } else if (item.type !== "reasoning") {
      throw new RequestError(`Unsupported input item type: ${item.type}`, "input");
    }
  }
  const tools: ToolSpec[] = (body.tools ?? []).map((tool) => {
    if (tool.type !== "function" || !tool.name) {
      throw new RequestError(`Unsupported tool type: ${tool.type} (only function tools)`, "tools");
    }
    return {
      name: tool.name,
      description: tool.description ?? "",
      parameters: tool.parameters ?? { type: "object", properties: {} },
    };
  });
  const choice = body.tool_choice;
  const responseFormat = responseFormatOf(body.text?.format);
  return {
    messages,
    ...(responseFormat ? { responseFormat, formatParam: "text.format" as const } : {}),
    ...(tools.length ? { tools } : {}),
    ...(choice ? { toolChoice: typeof choice === "string" ? choice : { name: choice.name } } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.max_output_tokens != null ? { maxTokens: body.max_output_tokens } : {}),
    ...(body.user ? { user: body.user } : {}),
  };
}
