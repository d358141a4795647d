/**
 * @module The body of `POST /v1/chat/completions`: validated with zod and translated into the
 * providers' common request. Unknown fields are ignored, as OpenAI's SDKs send many.
 */

import { z } from "zod";
import type { ChatMessage, ContentPart, ToolSpec } from "../../agent/providers/types.ts";
import type { Turn } from "./_model_source.ts";
import { RequestError } from "./_request_error.ts";

export { RequestError };

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
  stop: z.union([z.string(), z.array(z.string())], {
    error: "must be a string or an array of strings",
  }).refine(
    (stop) => typeof stop === "string" || stop.length <= 4,
    "at most 4 stop sequences are supported",
  ).nullish(),
  response_format: z.record(z.string(), z.unknown()).optional(),
  seed: z.number().int().nullish(),
  n: z.literal(1, { error: "only n=1 is supported (one choice per request)" }).nullish(),
  user: z.string().max(256).optional(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
});

export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;

const SIMPLE_ROLES = new Set(["system", "developer", "user", "assistant"]);
const nullish = (value: unknown) => value === undefined || value === null;
const inRange = (value: unknown, max: number) =>
  nullish(value) || (typeof value === "number" && value >= 0 && value <= max);
const positiveInt = (value: unknown) =>
  nullish(value) || (Number.isSafeInteger(value) && (value as number) > 0);

/**
 * The body itself when it is a plain chat request that {@linkcode chatCompletionSchema} accepts
 * as it is: text messages, and the scalar options in their simple forms. Anything else (content
 * parts, tools, tool calls, a value out of range) returns undefined, for the schema to check and
 * to word the error. A zod parse cost a warm `/v1` request ~10-25 µs (issue 17); this look at a
 * few fields a fraction of that. Keys the schema does not know stay on the body: the schema
 * would drop them, and nothing reads them.
 */
export function plainChatBody(raw: unknown): ChatCompletionBody | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const body = raw as Record<string, unknown>;
  const { model, messages } = body;
  if (typeof model !== "string" || model.length < 1 || model.length > 256) return undefined;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  for (const message of messages) {
    if (typeof message !== "object" || message === null || Array.isArray(message)) return;
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== "string" || !SIMPLE_ROLES.has(role)) return undefined;
    if (role === "assistant") {
      if ((message as Record<string, unknown>).tool_calls !== undefined) return undefined;
      if (typeof content !== "string" && !nullish(content)) return undefined;
    } else if (typeof content !== "string") return undefined;
  }
  const options = body.stream_options;
  if (!nullish(body.stream) && typeof body.stream !== "boolean") return undefined;
  if (!nullish(options)) {
    if (typeof options !== "object" || Array.isArray(options)) return undefined;
    const include = (options as Record<string, unknown>).include_usage;
    if (include !== undefined && typeof include !== "boolean") return undefined;
  }
  if (!inRange(body.temperature, 2) || !inRange(body.top_p, 1)) return undefined;
  if (!positiveInt(body.max_tokens) || !positiveInt(body.max_completion_tokens)) return undefined;
  if (!nullish(body.seed) && !Number.isSafeInteger(body.seed)) return undefined;
  if (!nullish(body.n) && body.n !== 1) return undefined;
  if (!nullish(body.stop) && typeof body.stop !== "string") return undefined;
  if (body.user !== undefined && (typeof body.user !== "string" || body.user.length > 256)) {
    return undefined;
  }
  if (
    body.tools !== undefined || body.tool_choice !== undefined ||
    body.response_format !== undefined
  ) return undefined;
  // The sampling extras the schema checks, which plain requests leave out.
  if (
    body.logprobs !== undefined || body.top_logprobs !== undefined ||
    body.presence_penalty !== undefined || body.frequency_penalty !== undefined ||
    body.logit_bias !== undefined || body.parallel_tool_calls !== undefined
  ) return undefined;
  return body as ChatCompletionBody;
}

/** A data: URL as an image part; remote URLs are refused (the gateway fetches nothing). */
export function imageFromUrl(url: string): ContentPart {
  const match = url.match(/^data:([^;,]+);base64,(.*)$/s);
  if (!match) throw new RequestError("Only data: URLs are supported for images", "image_url");
  return { type: "image", mimeType: match[1], base64: match[2] };
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
  if (messages.some((m) => m.role === "tool")) {
    const names = new Map<string, string>();
    for (const m of messages) {
      if (m.role === "assistant") m.toolCalls?.forEach((call) => names.set(call.id, call.name));
      if (m.role === "tool") m.name = names.get(m.toolCallId) ?? m.name;
    }
  }
  const tools: ToolSpec[] | undefined = body.tools?.map((tool) => ({
    name: tool.function.name,
    description: tool.function.description ?? "",
    parameters: tool.function.parameters ?? { type: "object", properties: {} },
  }));
  // Set field by field: a spread of a conditional object per option made every request about
  // ten short-lived objects (issue 17, garbage per /v1 request).
  const turn: Turn = { messages };
  if (tools?.length) turn.tools = tools;
  const choice = body.tool_choice;
  if (choice) {
    turn.toolChoice = typeof choice === "string" ? choice : { name: choice.function.name };
  }
  if (body.temperature != null) turn.temperature = body.temperature;
  if (body.top_p != null) turn.topP = body.top_p;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) turn.maxTokens = maxTokens;
  if (body.stop != null) turn.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.response_format) turn.responseFormat = body.response_format;
  if (body.seed != null) turn.seed = body.seed;
  if (body.user) turn.user = body.user;
  // Only in a body the schema checked (plainChatBody declines them): a plain one skips these.
  if (body.logprobs != null) turn.logprobs = body.logprobs;
  if (body.top_logprobs != null) turn.topLogprobs = body.top_logprobs;
  if (body.presence_penalty != null) turn.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) turn.frequencyPenalty = body.frequency_penalty;
  if (body.logit_bias != null) turn.logitBias = body.logit_bias;
  if (body.parallel_tool_calls != null) turn.parallelToolCalls = body.parallel_tool_calls;
  return turn;
}
