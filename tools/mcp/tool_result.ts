/** @module Turns an MCP `tools/call` result into the {@linkcode ToolOutput} the agent loop reads. */

import type { ToolOutput } from "../tool.ts";

/** The most text of one result the model gets. */
export const MAX_TEXT_CHARS = 100_000;

/** The parts of an MCP content block this module reads (the SDK's union, loosely). */
interface ContentBlock {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  uri?: string;
  name?: string;
  resource?: { uri?: string; mimeType?: string; text?: string; blob?: string };
}

/** The parts of a `CallToolResult` this module reads. */
export interface McpCallResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
  /** Servers of protocol version 2024-10-07 answer with `toolResult` instead of `content`. */
  toolResult?: unknown;
}

/**
 * Text blocks become the model's text, images go to `images` (vision models), embedded
 * resources are inlined when textual, and everything else is named so the model knows it exists.
 * `structuredContent` is kept as `data` for clients, and stands in for empty text.
 */
export function toToolOutput(result: McpCallResult): ToolOutput {
  if (!Array.isArray(result.content) && result.toolResult !== undefined) {
    return { content: stringify(result.toolResult), data: result.toolResult };
  }
  const texts: string[] = [];
  const images: NonNullable<ToolOutput["images"]> = [];
  for (const raw of result.content ?? []) {
    const block = raw as ContentBlock;
    switch (block.type) {
      case "text":
        texts.push(block.text ?? "");
        break;
      case "image":
        if (block.data && block.mimeType) {
          images.push({ mimeType: block.mimeType, base64: block.data });
          texts.push(`[image: ${block.mimeType}]`);
        }
        break;
      case "audio":
        texts.push(`[audio: ${block.mimeType ?? "unknown type"}, not shown]`);
        break;
      case "resource_link":
        texts.push(`[resource: ${block.name ?? ""} ${block.uri ?? ""}]`.replace("  ", " "));
        break;
      case "resource":
        texts.push(
          block.resource?.text ??
            `[resource: ${block.resource?.uri ?? ""} (${block.resource?.mimeType ?? "binary"})]`,
        );
        break;
      default:
        texts.push(`[${block.type} content]`);
    }
  }
  let content = texts.join("\n");
  if (!content && result.structuredContent !== undefined) {
    content = stringify(result.structuredContent);
  }
  if (content.length > MAX_TEXT_CHARS) {
    // A server may return far more than a model's context holds.
    content = `${content.slice(0, MAX_TEXT_CHARS)}\n\n[Truncated: showing ${MAX_TEXT_CHARS} of ` +
      `${content.length} characters of the tool's output]`;
  }
  const output: ToolOutput = { content };
  if (result.structuredContent !== undefined) output.data = result.structuredContent;
  if (images.length) output.images = images;
  if (result.isError) output.isError = true;
  return output;
}

function stringify(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
