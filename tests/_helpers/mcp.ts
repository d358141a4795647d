/** @module Real MCP servers for tests: `@modelcontextprotocol/server-everything` over stdio and HTTP. */

import { fileURLToPath } from "node:url";
import { waitFor } from "./assert.ts";
import { freePort } from "./net.ts";

/** The everything server's entry point (run with `node`). */
export const EVERYTHING_SERVER = fileURLToPath(
  new URL(
    "../../node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    import.meta.url,
  ),
);

/** A `tools.mcpServers` entry that runs the everything server over stdio. */
export function everythingStdio(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: "node", args: [EVERYTHING_SERVER, "stdio"], ...extra };
}

/** The everything server in one of its HTTP modes, as a child process. */
export interface HttpMcpServer {
  /** `/mcp` (streamable HTTP) or `/sse` (the old HTTP+SSE transport). */
  url: string;
  port: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the everything server's `streamableHttp` or `sse` mode and waits until it listens. */
export async function startEverythingHttp(mode: "streamableHttp" | "sse"): Promise<HttpMcpServer> {
  const port = freePort();
  const child = new Deno.Command("node", {
    args: [EVERYTHING_SERVER, mode],
    env: { PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const close = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  };
  const listening = () =>
    Deno.connect({ hostname: "127.0.0.1", port }).then((conn) => (conn.close(), true), () => false);
  await waitFor(listening, 30_000, `the everything server (${mode}) to listen on ${port}`)
    .catch(async (error) => {
      await close();
      throw error;
    });
  const path = mode === "sse" ? "/sse" : "/mcp";
  return { url: `http://127.0.0.1:${port}${path}`, port, close, [Symbol.asyncDispose]: close };
}

/** True while a process exists and is not a zombie (Linux `/proc`). */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
