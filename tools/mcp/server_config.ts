/** @module One MCP server's settings from `tools.mcpServers`, and how servers are told apart. */

import type { Config } from "../../core/config/schema.ts";

/** One entry of `tools.mcpServers`, stdio or HTTP. */
export type McpServerConfig = Config["tools"]["mcpServers"][string];

/** A server run as a child process, spoken to over its stdin and stdout. */
export type StdioServerConfig = Extract<McpServerConfig, { command: string }>;

/** A remote server reached by URL. */
export type HttpServerConfig = Extract<McpServerConfig, { url: string }>;

/** How a server is reached: configured (`stdio`, `http`) or, once connected, what worked. */
export type McpTransportKind = "stdio" | "http" | "streamable-http" | "sse";

export function isStdioServer(server: McpServerConfig): server is StdioServerConfig {
  return "command" in server;
}

/** The transport a server's config asks for, before any fallback. */
export function configuredTransport(server: McpServerConfig): McpTransportKind {
  if (isStdioServer(server)) return "stdio";
  return server.transport ?? "http";
}

/**
 * A stable fingerprint of a server's settings: equal fingerprints mean a reload leaves the
 * running connection alone. Key order in the file does not matter.
 */
export function serverFingerprint(server: McpServerConfig): string {
  return JSON.stringify(
    server,
    (_key, value) =>
      value && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
        : value,
  );
}

/** Prefix of every MCP tool's name. */
export const MCP_TOOL_PREFIX = "mcp:";

/** `mcp:<server>:<tool>` */
export function mcpToolName(server: string, tool: string): string {
  return `${MCP_TOOL_PREFIX}${server}:${tool}`;
}

/** Splits `mcp:<server>:<tool>`; server names never contain `:`, tool names may. */
export function parseMcpToolName(name: string): { server: string; tool: string } | undefined {
  if (!name.startsWith(MCP_TOOL_PREFIX)) return undefined;
  const rest = name.slice(MCP_TOOL_PREFIX.length);
  const colon = rest.indexOf(":");
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return { server: rest.slice(0, colon), tool: rest.slice(colon + 1) };
}
