/**
 * @module The body of `POST /v1/chat/completions`: validated with zod and translated into the
 * providers' common request. Unknown fields are ignored, as OpenAI's SDKs send many.
 */

import { z } from "zod";
import type { ChatMessage, ContentPart, ToolSpec } from "../../agent/providers/types.ts";
import type { Turn } from "./_model_source.ts";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.string().optional() })]),
});
const parts = z.array(z.union([textPart, imagePart, z.object({ type: z.string() }).passthrough()]));
const content = z.union([z.string(), parts]);

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string().default("{}") }),
});

const message = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content }),
  z.object({ role: z.literal("developer"), content }),
  z.object({ role: z.literal("user"), content }),
  z.object({
    role: z.literal("assistant"),
    content: content.nullish(),
    tool_calls: z.array(toolCall).optional(),
  }),
  z.object({ role: z.literal("tool"), tool_call_id: z.string(), content }),
]);

/** JSON Schema of a function's parameters. */
export const parametersSchema = z.record(z.string(), z.unknown());

export const chatCompletionSchema = z.object({
  model: z.string().min(1).max(256),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(z.object({
    type: z.literal("function"),
    function: z.object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must match ^[A-Za-z0-9_-]{1,64}$"),
      description: z.string().optional(),
      parameters: parametersSchema.optional(),
    }),
  })).optional(),
  tool_choice: z.union([
    z.enum(["auto", "none", "required"]),
    z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
  ]).optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  response_format: z.record(z.string(), z.unknown()).optional(),
  seed: z.number().int().nullish(),
  n: z.literal(1).nullish(),
  user: z.string().max(256).optional(),
});

export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;

/** A data: URL as an image part; remote URLs are refused (the gateway fetches nothing). */
export function imageFromUrl(url: string): ContentPart {
  const match = url.match(/^data:([^;,]+);base64,(.*)$/s);
  if (!match) throw new RequestError("Only data: URLs are supported for images", "image_url");
  return { type: "image", mimeType: match[1], base64: match[2] };
}

/** A request the gateway refuses with HTTP 400. */
export class RequestError extends Error {
  readonly param: string | null;
  constructor(message: string, param: string | null = null) {
    super(message);
    this.name = "RequestError";
    this.param = param;
  }
}

function toParts(value: z.output<typeof content>): string | ContentPart[] {
  if (typeof value === "string") return value;
  return value.flatMap((part): ContentPart[] => {
    if (part.type === "text") return [{ type: "text", text: String(part.text ?? "") }];
    if (part.type === "image_url") {
      const image = (part as z.output<typeof imagePart>).image_url;
      return [imageFromUrl(typeof image === "string" ? image : image.url)];
    }
    throw new RequestError(`Unsupported content part type: ${part.type}`, "messages");
  });
}

function textOf(value: z.output<typeof content> | null | undefined): string {
  if (value == null) return "";
  const converted = toParts(value);
  return typeof converted === "string"
    ? converted
    : converted.map((part) => part.type === "text" ? part.text : "").join("");
}

/** Translates a validated body into a provider turn. @throws {RequestError} */
export function chatCompletionTurn(body: ChatCompletionBody): Turn {
  const messages: ChatMessage[] = body.messages.map((m): ChatMessage => {
    switch (m.role) {
      case "system":
      case "developer":
        return { role: "system", content: textOf(m.content) };
      case "user":
        return { role: "user", content: toParts(m.content) };
      case "assistant":
        return {
          role: "assistant",
          content: textOf(m.content),
          ...(m.tool_calls?.length
            ? {
              toolCalls: m.tool_calls.map((call) => ({
                id: call.id,
                name: call.function.name,
                arguments: call.function.arguments,
              })),
            }
            : {}),
        };
      case "tool":
        return {
          role: "tool",
          toolCallId: m.tool_call_id,
          name: "tool",
          content: textOf(m.content),
        };
    }
  });
  // Anthropic wants the tool's name on a result; it is the name of the call it answers.
  const names = new Map<string, string>();
  for (const m of messages) {
    if (m.role === "assistant") m.toolCalls?.forEach((call) => names.set(call.id, call.name));
    if (m.role === "tool") m.name = names.get(m.toolCallId) ?? m.name;
  }
  const tools: ToolSpec[] | undefined = body.tools?.map((tool) => ({
    name: tool.function.name,
    description: tool.function.description ?? "",
    parameters: tool.function.parameters ?? { type: "object", properties: {} },
  }));
  const choice = body.tool_choice;
  return {
    messages,
    ...(tools?.length ? { tools } : {}),
    ...(choice
      ? { toolChoice: typeof choice === "string" ? choice : { name: choice.function.name } }
      : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...((body.max_completion_tokens ?? body.max_tokens) != null
      ? { maxTokens: (body.max_completion_tokens ?? body.max_tokens)! }
      : {}),
    ...(body.stop != null ? { stop: typeof body.stop === "string" ? [body.stop] : body.stop } : {}),
    ...(body.response_format ? { responseFormat: body.response_format } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(body.user ? { user: body.user } : {}),
  };
}
