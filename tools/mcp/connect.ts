/**
 * @module Opens an MCP session to one server: a child process over stdio, or a URL over
 * streamable HTTP with a fallback to the older HTTP+SSE transport. The SDK is imported here,
 * lazily, so the gateway starts without it.
 */

import type { Client } from "@modelcontextprotocol/sdk/client";
// Type-only imports (erased at run time) give the lazy imports below their types: a
// `@ts-types` directive is not honoured on a dynamic import.
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import type * as StdioModule from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import type * as StreamableHttpModule from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/client/sse"
import type * as SseModule from "@modelcontextprotocol/sdk/client/sse.js";
import { errorMessage } from "../../core/errors.ts";
import { VERSION } from "../../core/version.ts";
import { sandboxedServer } from "../sandbox/mcp_sandbox.ts";
import {
  type HttpServerConfig,
  isStdioServer,
  type McpServerConfig,
  type McpTransportKind,
  type StdioServerConfig,
} from "./server_config.ts";

/** An initialized MCP session. */
export interface McpSession {
  client: Client;
  /** The transport that worked. */
  transport: Exclude<McpTransportKind, "http">;
  /** The child's process id (stdio only). */
  pid?: number;
  /** The last lines the child wrote to stderr (stdio only), for error messages. */
  stderrTail(): string;
  /** Ends the session on the server before the transport closes (streamable HTTP). */
  terminate?(): Promise<void>;
}

/** Options for {@linkcode openSession}. */
export interface OpenSessionOptions {
  /** Gives up (and closes whatever was opened) when aborted. */
  signal: AbortSignal;
  /** Called when the server says its tool list changed. */
  onToolsChanged: () => void;
  /** What a server with `sandbox` on must not see (the state dir, home). */
  sandboxHidden?: string[];
}

/**
 * Connects and runs the `initialize` handshake.
 *
 * @throws {Error} when the server cannot be started or reached, or the handshake fails
 */
export async function openSession(
  server: McpServerConfig,
  options: OpenSessionOptions,
): Promise<McpSession> {
  return isStdioServer(server) ? await openStdio(server, options) : await openHttp(server, options);
}

async function newClient(options: OpenSessionOptions): Promise<Client> {
  const { Client } = await import("@modelcontextprotocol/sdk/client");
  return new Client({ name: "pyclaw", version: VERSION }, {
    capabilities: {},
    listChanged: {
      tools: { autoRefresh: false, debounceMs: 100, onChanged: () => options.onToolsChanged() },
    },
  });
}

async function openStdio(
  server: StdioServerConfig,
  options: OpenSessionOptions,
): Promise<McpSession> {
  const { StdioClientTransport } = await import(
    "@modelcontextprotocol/sdk/client/stdio.js"
  ) as typeof StdioModule;
  const sandboxed = server.sandbox
    ? await sandboxedServer(server, options.sandboxHidden ?? [])
    : [server.command, server.args] as const;
  const [command, args] = await withParentDeathSignal(sandboxed[0], [...sandboxed[1]]);
  const transport = new StdioClientTransport({
    command,
    args,
    env: server.env,
    cwd: server.cwd,
    stderr: "pipe",
  });
  let stderr = "";
  let stderrEnded = false;
  transport.stderr?.on("data", (chunk: Uint8Array | string) => {
    stderr = (stderr + String(chunk)).slice(-4_000);
  });
  transport.stderr?.on("end", () => (stderrEnded = true));
  const stderrTail = () => stderr.trim().split("\n").slice(-5).join("\n");
  const client = await newClient(options);
  try {
    await connectWithin(client, transport, options.signal);
  } catch (error) {
    // A child that failed to start says why on stderr, which may arrive after the pipe closed.
    for (let i = 0; i < 10 && !stderrEnded; i++) await new Promise((r) => setTimeout(r, 20));
    const tail = stderrTail();
    throw tail ? new Error(`${errorMessage(error)} (stderr: ${tail})`) : error;
  }
  return { client, transport: "stdio", pid: transport.pid ?? undefined, stderrTail };
}

async function openHttp(
  server: HttpServerConfig,
  options: OpenSessionOptions,
): Promise<McpSession> {
  const url = new URL(server.url);
  const requestInit: RequestInit = { headers: server.headers ?? {} };
  const noStderr = () => "";
  if (server.transport !== "sse") {
    const { StreamableHTTPClientTransport } = await import(
      "@modelcontextprotocol/sdk/client/streamableHttp.js"
    ) as typeof StreamableHttpModule;
    const client = await newClient(options);
    const transport = new StreamableHTTPClientTransport(url, { requestInit });
    try {
      await connectWithin(client, transport, options.signal);
      return {
        client,
        transport: "streamable-http",
        stderrTail: noStderr,
        // Tells the server to drop the session (HTTP DELETE) instead of letting it time out.
        terminate: () => transport.terminateSession(),
      };
    } catch (error) {
      await client.close().catch(() => {});
      // Old servers answer a streamable-HTTP POST with 4xx (404/405); only then try SSE.
      if (server.transport === "streamable-http" || !isHttpClientError(error)) throw error;
    }
  }
  const { SSEClientTransport } = await import(
    "@modelcontextprotocol/sdk/client/sse.js"
  ) as typeof SseModule;
  const client = await newClient(options);
  await connectWithin(client, new SSEClientTransport(url, { requestInit }), options.signal);
  return { client, transport: "sse", stderrTail: noStderr };
}

function isHttpClientError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "number" && code >= 400 && code < 500) return true;
  return /\b4\d\d\b/.test(String((error as Error)?.message ?? ""));
}

async function connectWithin(
  client: Client,
  transport: Parameters<Client["connect"]>[0],
  signal: AbortSignal,
): Promise<void> {
  signal.throwIfAborted();
  const onAbort = () => void client.close().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await client.connect(transport, { signal });
  } catch (error) {
    await client.close().catch(() => {});
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

let setpriv: Promise<string | undefined> | undefined;

/**
 * On Linux, starts the server through `setpriv --pdeathsig KILL`, so the kernel kills it when
 * the gateway dies, even by SIGKILL. `setpriv` execs the command, so the pid stays the same.
 * Elsewhere (or without util-linux) servers still exit on their own when their stdin closes.
 */
async function withParentDeathSignal(command: string, args: string[]): Promise<[string, string[]]> {
  if (Deno.build.os !== "linux") return [command, args];
  setpriv ??= (async () => {
    for (const path of ["/usr/bin/setpriv", "/bin/setpriv"]) {
      try {
        if ((await Deno.stat(path)).isFile) return path;
      } catch {
        // not there
      }
    }
    return undefined;
  })();
  const path = await setpriv;
  return path ? [path, ["--pdeathsig", "KILL", "--", command, ...args]] : [command, args];
}
