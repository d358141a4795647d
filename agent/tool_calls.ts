/**
 * @module The agent's side of tool calling: which tools an agent may use, their JSON Schemas
 * under wire-safe names, and running one call with validated arguments.
 */

import { z } from "zod";
import { errorMessage, isAbortError } from "../core/errors.ts";
import type { Tool, ToolContext, ToolOutput } from "../tools/tool.ts";
import { toolAllowed, type ToolPolicyList } from "../tools/tool_policy.ts";
import type { ToolCall, ToolSpec } from "./providers/types.ts";
import { compactSchema } from "./tool_schema.ts";

/** The tools of one run: specs for the model, and the tool behind each wire name. */
export interface ToolSet {
  specs: ToolSpec[];
  byWireName: Map<string, Tool>;
  /** Wire names of tools the policy keeps from this agent; a call to one is refused. */
  denied: Set<string>;
}

const schemas = new WeakMap<Tool, Record<string, unknown>>();
const leanSchemas = new WeakMap<Tool, Record<string, unknown>>();

/** Tool names as providers accept them (`^[A-Za-z0-9_-]{1,64}$`): `mcp:fs:read` → `mcp_fs_read`. */
export function wireName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "tool";
}

/** Options of {@linkcode buildToolSet}. */
export interface ToolSetOptions {
  /** Leave out parameter descriptions (a model with a small context window). @default false */
  lean?: boolean;
}

/** The tool set for a run, filtered by allow/deny lists (names, globs and `group:` entries). */
export function buildToolSet(
  tools: readonly Tool[],
  lists: readonly ToolPolicyList[],
  options: ToolSetOptions = {},
): ToolSet {
  const specs: ToolSpec[] = [];
  const byWireName = new Map<string, Tool>();
  const denied = new Set<string>();
  for (const tool of tools) {
    if (!toolAllowed(tool, lists)) {
      denied.add(wireName(tool.name));
      continue;
    }
    let name = wireName(tool.name);
    for (let n = 2; byWireName.has(name); n++) name = `${wireName(tool.name).slice(0, 60)}_${n}`;
    byWireName.set(name, tool);
    specs.push({
      name,
      description: options.lean ? firstSentence(tool.description) : tool.description,
      parameters: jsonSchemaOf(tool, options.lean === true),
    });
  }
  return { specs, byWireName, denied };
}

/** A description's first sentence: the gist, for a lean tool set. */
function firstSentence(text: string): string {
  // A sentence ends at a stop before a capital (or the end), not at "e.g." or "i.e.".
  for (const match of text.matchAll(/[.!?。](?=\s+[A-Z]|\s*$)/g)) {
    const end = match.index + 1;
    if (!/\b(e\.g|i\.e|etc)\.$/i.test(text.slice(0, end))) return text.slice(0, end);
  }
  return text;
}

function jsonSchemaOf(tool: Tool, lean: boolean): Record<string, unknown> {
  const cache = lean ? leanSchemas : schemas;
  let schema = cache.get(tool);
  if (!schema) {
    try {
      // MCP tools carry the server's own JSON Schema: the model sees it as it is.
      schema = tool.jsonSchema
        ? { ...tool.jsonSchema }
        : z.toJSONSchema(tool.parameters, { io: "input", unrepresentable: "any" }) as Record<
          string,
          unknown
        >;
    } catch {
      schema = { type: "object" };
    }
    delete schema.$schema;
    if (schema.type !== "object") schema = { type: "object", properties: {} };
    if (!tool.jsonSchema) schema = compactSchema(schema, lean) as Record<string, unknown>;
    cache.set(tool, schema);
  }
  return schema;
}

/** What one tool call produced. */
export interface ToolCallOutcome {
  /** The parsed arguments (the raw text when they were not JSON). */
  args: unknown;
  output: ToolOutput;
}

/**
 * Runs one call: parses and validates the arguments, runs the tool, and turns failures into an
 * error result the model can read. Only an abort is thrown.
 */
export async function runToolCall(
  tool: Tool | undefined,
  call: ToolCall,
  ctx: ToolContext,
  options: { denied?: boolean } = {},
): Promise<ToolCallOutcome> {
  let args: unknown;
  try {
    args = JSON.parse(call.arguments || "{}");
  } catch {
    return {
      args: call.arguments,
      output: { content: `Invalid arguments for ${call.name}: not JSON`, isError: true },
    };
  }
  if (!tool && options.denied) {
    const why = "the tool policy (tools.allow / tools.deny or the agent's own lists) denies it";
    return { args, output: { content: `Tool not allowed: ${call.name} (${why})`, isError: true } };
  }
  if (!tool) {
    return { args, output: { content: `Unknown tool: ${call.name}`, isError: true } };
  }
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "<arguments>"}: ${issue.message}`)
      .join("; ");
    return {
      args,
      output: { content: `Invalid arguments for ${tool.name}: ${issues}`, isError: true },
    };
  }
  try {
    const result = await tool.run(parsed.data, ctx);
    return { args, output: typeof result === "string" ? { content: result } : result };
  } catch (error) {
    if (ctx.signal.aborted || isAbortError(error)) throw error;
    ctx.logger.warn("tool failed", { tool: tool.name, error: errorMessage(error) });
    return {
      args,
      output: { content: `${tool.name} failed: ${errorMessage(error)}`, isError: true },
    };
  }
}
