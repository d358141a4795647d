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

/**
 * The tools of one run: specs for the model, and the tool behind each wire name. Shared by every
 * run built from the same tools and lists, so nothing in it is changed.
 */
export interface ToolSet {
  readonly specs: readonly ToolSpec[];
  readonly byWireName: ReadonlyMap<string, Tool>;
  /** Wire names of tools the policy keeps from this agent; a call to one is refused. */
  readonly denied: ReadonlySet<string>;
  /** The offered tools' own names (`mcp:fs:read`, not the wire name). */
  readonly names: ReadonlySet<string>;
}

const schemas = new WeakMap<Tool, Record<string, unknown>>();
const leanSchemas = new WeakMap<Tool, Record<string, unknown>>();

/** Tool names as providers accept them (`^[A-Za-z0-9_-]{1,64}$`): `mcp:fs:read` -> `mcp_fs_read`. */
export function wireName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "tool";
}

/** Options of {@linkcode buildToolSet}. */
export interface ToolSetOptions {
  /** Leave out parameter descriptions (a model with a small context window). @default false */
  lean?: boolean;
}

/** A built set and what it was built from. */
interface BuiltSet {
  tools: readonly Tool[];
  lists: readonly ToolPolicyList[];
  lean: boolean;
  set: ToolSet;
}

/** The sets built last, newest first: a few agents' sets, reused turn after turn. */
const built: BuiltSet[] = [];
const MAX_BUILT = 8;

/**
 * The tool set for a run, filtered by allow/deny lists (names, globs and `group:` entries).
 * A warm turn builds none (issue 17): a set is reused while the tools are the same objects and
 * the lists the same arrays, which holds until a config reload swaps them or an MCP server's
 * tools change.
 */
export function buildToolSet(
  tools: readonly Tool[],
  lists: readonly ToolPolicyList[],
  options: ToolSetOptions = {},
): ToolSet {
  const lean = options.lean === true;
  const index = built.findIndex((entry) =>
    entry.lean === lean && sameItems(entry.tools, tools) && sameLists(entry.lists, lists)
  );
  if (index >= 0) {
    const [entry] = built.splice(index, 1);
    built.unshift(entry);
    return entry.set;
  }
  const set = newToolSet(tools, lists, lean);
  built.unshift({ tools: [...tools], lists: lists.map((l) => ({ ...l })), lean, set });
  if (built.length > MAX_BUILT) built.pop();
  return set;
}

function sameItems<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Entries are compared as arrays, not by content: config is frozen and a reload makes new ones.
function sameLists(a: readonly ToolPolicyList[], b: readonly ToolPolicyList[]): boolean {
  return a.length === b.length &&
    a.every((list, i) => list.allow === b[i].allow && list.deny === b[i].deny);
}

function newToolSet(tools: readonly Tool[], lists: readonly ToolPolicyList[], lean: boolean) {
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
      description: lean ? firstSentence(tool.description) : tool.description,
      parameters: jsonSchemaOf(tool, lean),
    });
  }
  const names = new Set([...byWireName.values()].map((tool) => tool.name));
  return Object.freeze({ specs: Object.freeze(specs), byWireName, denied, names });
}

/** A description's first sentence: the gist, for a lean tool set. */
function firstSentence(text: string): string {
  // A sentence ends at a stop before a capital (or the end), not at "e.g." or "i.e.".
  for (const match of text.matchAll(/[.!?\u3002](?=\s+[A-Z]|\s*$)/g)) {
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
