/**
 * @module Writes the protocol's generated docs from the catalogue in `core/protocol/`: the method
 * and event tables in `docs/protocol.md` (between markers) and `docs/openrpc.json`, an OpenRPC
 * 1.3 description with a JSON Schema for every method's params and result and, under
 * `x-events`, every event's payload, for third-party clients.
 *
 * Usage: node_modules/.bin/deno run -A scripts/gen_protocol.ts [--check]
 * `--check` renders in memory and exits 1 when a committed file is out of date.
 */

import { z } from "zod";
import { EVENTS } from "../core/protocol/events.ts";
import { METHODS, NOT_IMPLEMENTED_METHODS } from "../core/protocol/methods.ts";
import { VERSION } from "../core/version.ts";

const root = new URL("../", import.meta.url).pathname;
export const DOC_PATH = `${root}docs/protocol.md`;
export const OPENRPC_PATH = `${root}docs/openrpc.json`;

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

/** A short shape for the tables: `{ path, limit? }`, `[{ id, name }]`, `string`. */
function shape(schema: JsonSchema, depth = 0): string {
  if (schema.type === "array") {
    return `[${shape((schema.items ?? {}) as JsonSchema, depth)}]`;
  }
  const options = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (options) return options.map((option) => shape(option, depth)).join(" \\| ");
  if (schema.type === "object" && schema.properties) {
    const required = new Set((schema.required ?? []) as string[]);
    const keys = Object.keys(schema.properties as object);
    if (!keys.length) return "{}";
    if (depth > 0) return "{ … }";
    return `{ ${keys.map((key) => (required.has(key) ? key : `${key}?`)).join(", ")} }`;
  }
  if (schema.type === "object") return "{}";
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (typeof schema.type === "string") return schema.type;
  return "any";
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** The method and event tables, as they stand between the markers of `docs/protocol.md`. */
export function renderTables(): { methods: string; events: string } {
  const methodRows = Object.entries(METHODS).map(([name, contract]) => [
    `\`${name}\``,
    `\`${shape(jsonSchema(contract.params, "input"))}\``,
    `\`${shape(jsonSchema(contract.result, "output"))}\``,
    contract.summary,
  ]);
  for (const name of NOT_IMPLEMENTED_METHODS) {
    methodRows.push([`\`${name}\``, "", "", "Registered; answers `NOT_IMPLEMENTED`"]);
  }
  const eventRows = Object.entries(EVENTS).map(([name, contract]) => [
    `\`${name}\``,
    `\`${shape(jsonSchema(contract.payload, "output"))}\``,
    contract.summary,
  ]);
  return {
    methods: table(["Method", "Params", "Result", "What it does"], methodRows),
    events: table(["Event", "Payload", "When"], eventRows),
  };
}

/** `doc` with the generated tables put between their markers. */
export function renderDoc(doc: string): string {
  const tables = renderTables();
  let out = doc;
  for (const [name, body] of Object.entries(tables)) {
    const start = `<!-- generated:${name} (scripts/gen_protocol.ts) -->`;
    const end = `<!-- /generated:${name} -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/protocol.md has no ${start} … ${end} markers`);
    out = `${out.slice(0, from + start.length)}\n${body}\n${out.slice(to)}`;
  }
  return out;
}

/** The OpenRPC document, pretty-printed with a final newline. */
export function renderOpenRpc(): string {
  const methods = Object.entries(METHODS).map(([name, contract]) => {
    const params = jsonSchema(contract.params, "input");
    const required = new Set((params.required ?? []) as string[]);
    const properties = (params.properties ?? {}) as Record<string, JsonSchema>;
    return {
      name,
      summary: contract.summary,
      paramStructure: "by-name",
      params: Object.entries(properties).map(([param, schema]) => ({
        name: param,
        required: required.has(param),
        schema,
      })),
      result: { name: `${name} result`, schema: jsonSchema(contract.result, "output") },
    };
  });
  const events = Object.entries(EVENTS).map(([name, contract]) => ({
    name,
    summary: contract.summary,
    schema: jsonSchema(contract.payload, "output"),
  }));
  const document = {
    openrpc: "1.3.2",
    info: {
      title: "pyclaw gateway protocol",
      version: VERSION,
      description: "JSON frames over one WebSocket (see docs/protocol.md). A request is " +
        '`{ type: "req", id, method, params }`; the answer `{ type: "res", id, ok, payload | error }`; ' +
        'events `{ type: "event", event, seq, payload }` (listed under x-events).',
    },
    methods,
    "x-not-implemented": [...NOT_IMPLEMENTED_METHODS],
    "x-events": events,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const files = [
    { path: DOC_PATH, text: renderDoc(await Deno.readTextFile(DOC_PATH)) },
    { path: OPENRPC_PATH, text: renderOpenRpc() },
  ];
  let stale = false;
  for (const file of files) {
    const current = await Deno.readTextFile(file.path).catch(() => "");
    if (current === file.text) continue;
    if (check) {
      console.error(`${file.path.slice(root.length)} is out of date: run scripts/gen_protocol.ts`);
      stale = true;
    } else {
      await Deno.writeTextFile(file.path, file.text);
      console.log(`wrote ${file.path.slice(root.length)}`);
    }
  }
  if (stale) Deno.exit(1);
}
