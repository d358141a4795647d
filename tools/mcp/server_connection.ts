/**
 * @module One configured MCP server, kept connected: connects in the background, lists its
 * tools, reconnects with backoff when it fails or dies, and calls its tools.
 */

import { z } from "zod";
import { errorMessage } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { Tool, ToolContext, ToolOutput } from "../tool.ts";
import { type McpSession, openSession } from "./connect.ts";
import {
  configuredTransport,
  type McpServerConfig,
  mcpToolName,
  type McpTransportKind,
} from "./server_config.ts";
import { toToolOutput } from "./tool_result.ts";

/** `connecting` -> `connected`; `error` while waiting to retry; `disabled` by config. */
export type McpServerState = "connecting" | "connected" | "error" | "disabled" | "closed";

/** What `mcp.status` and `pyclaw mcp status` show of one server. */
export interface McpServerStatus {
  name: string;
  transport: McpTransportKind;
  state: McpServerState;
  toolCount: number;
  /** Tool names as the agent sees them (`mcp:<server>:<tool>`). */
  tools: string[];
  lastError?: string;
  /** The child process (stdio). */
  pid?: number;
  connectedAt?: string;
  /** Failed attempts since the last success. */
  failures: number;
  nextRetryAt?: string;
}

/** Reconnect delays: doubling from `initialMs` up to `maxMs`. */
export interface Backoff {
  /** @default 1000 */
  initialMs: number;
  /** @default 60000 */
  maxMs: number;
}

/** Options for {@linkcode McpServerConnection}. */
export interface ServerConnectionOptions {
  logger: Logger;
  /** Reconnect delays; `null` for one attempt only (a one-off CLI run reports that attempt). */
  backoff?: Backoff | null;
  /** What a server with `sandbox` on must not see (the state dir, home). */
  sandboxHidden?: string[];
}

const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000 };
// The model's arguments must be an object; the server validates them against its own schema.
const argumentsSchema = z.record(z.string(), z.unknown());
const CLOSE_GRACE_MS = 2_500;

export class McpServerConnection {
  readonly name: string;
  readonly config: McpServerConfig;
  #options: ServerConnectionOptions;
  #state: McpServerState;
  #session: McpSession | undefined;
  #tools: Tool[] = [];
  #lastError: string | undefined;
  #failures = 0;
  #connectedAt: string | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #nextRetryAt: number | undefined;
  #attempt: Promise<void> = Promise.resolve();
  #abort = new AbortController();

  constructor(name: string, config: McpServerConfig, options: ServerConnectionOptions) {
    this.name = name;
    this.config = config;
    this.#options = options;
    this.#state = config.enabled ? "connecting" : "disabled";
  }

  /** Starts connecting in the background; never throws. */
  start(): void {
    if (this.#state === "disabled" || this.#abort.signal.aborted) return;
    this.#attempt = this.#connect();
  }

  /** Resolves when the current connection attempt has succeeded or failed. */
  ready(): Promise<void> {
    return this.#attempt;
  }

  /** The server's tools now; empty unless connected. */
  tools(): readonly Tool[] {
    return this.#tools;
  }

  status(): McpServerStatus {
    const status: McpServerStatus = {
      name: this.name,
      transport: this.#session?.transport ?? configuredTransport(this.config),
      state: this.#state,
      toolCount: this.#tools.length,
      tools: this.#tools.map((tool) => tool.name),
      failures: this.#failures,
    };
    if (this.#lastError) status.lastError = this.#lastError;
    if (this.#session?.pid) status.pid = this.#session.pid;
    if (this.#connectedAt && this.#state === "connected") status.connectedAt = this.#connectedAt;
    if (this.#nextRetryAt) status.nextRetryAt = new Date(this.#nextRetryAt).toISOString();
    return status;
  }

  /** Disconnects for good: the child process is ended (SIGKILL if it lingers). */
  async close(): Promise<void> {
    this.#abort.abort(new Error(`MCP server "${this.name}" closed`));
    clearTimeout(this.#retryTimer);
    this.#nextRetryAt = undefined;
    this.#state = "closed";
    await this.#attempt.catch(() => {});
    const session = this.#session;
    this.#session = undefined;
    this.#setTools([]);
    if (session) await closeSession(session);
  }

  async #connect(): Promise<void> {
    this.#state = "connecting";
    this.#nextRetryAt = undefined;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`Timed out after ${this.config.connectTimeoutMs} ms`)),
      this.config.connectTimeoutMs,
    );
    const signal = AbortSignal.any([this.#abort.signal, deadline.signal]);
    let session: McpSession | undefined;
    try {
      session = await openSession(this.config, {
        signal,
        onToolsChanged: () => void this.#refreshTools(),
        sandboxHidden: this.#options.sandboxHidden,
      });
      const tools = await this.#listTools(session, signal);
      if (this.#abort.signal.aborted) throw this.#abort.signal.reason;
      this.#session = session;
      session.client.onclose = () => this.#onClosed(session!);
      this.#state = "connected";
      this.#failures = 0;
      this.#lastError = undefined;
      this.#connectedAt = new Date().toISOString();
      this.#setTools(tools);
      this.#options.logger.info("mcp server connected", {
        server: this.name,
        transport: session.transport,
        tools: tools.length,
      });
    } catch (error) {
      if (session && this.#session !== session) await closeSession(session);
      if (this.#abort.signal.aborted) return;
      const detail = session?.stderrTail() ?? "";
      this.#fail(`Cannot connect: ${errorMessage(error)}${detail ? ` (stderr: ${detail})` : ""}`);
    } finally {
      clearTimeout(timer);
    }
  }

  #onClosed(session: McpSession): void {
    if (this.#session !== session || this.#abort.signal.aborted) return;
    this.#session = undefined;
    this.#setTools([]);
    const detail = session.stderrTail();
    this.#fail(`Connection closed${detail ? ` (stderr: ${detail})` : ""}`);
  }

  #fail(message: string): void {
    this.#failures++;
    this.#lastError = message;
    this.#state = "error";
    if (this.#options.backoff === null) {
      this.#options.logger.warn("mcp server unavailable", { server: this.name, error: message });
      return;
    }
    const backoff = this.#options.backoff ?? DEFAULT_BACKOFF;
    const delay = Math.min(backoff.initialMs * 2 ** (this.#failures - 1), backoff.maxMs);
    this.#nextRetryAt = Date.now() + delay;
    this.#options.logger.warn("mcp server unavailable; will retry", {
      server: this.name,
      error: message,
      retryInMs: delay,
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.start();
    }, delay);
  }

  async #listTools(session: McpSession, signal: AbortSignal): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await session.client.listTools(cursor ? { cursor } : undefined, {
        signal,
        timeout: this.config.connectTimeoutMs,
      });
      for (const tool of page.tools) tools.push(this.#toTool(tool));
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  async #refreshTools(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    try {
      const tools = await this.#listTools(session, this.#abort.signal);
      if (this.#session === session) this.#setTools(tools);
    } catch (error) {
      this.#options.logger.warn("mcp tool list refresh failed", {
        server: this.name,
        error: errorMessage(error),
      });
    }
  }

  #setTools(tools: Tool[]): void {
    this.#tools = tools;
  }

  #toTool(tool: { name: string; title?: string; description?: string; inputSchema: object }): Tool {
    const name = mcpToolName(this.name, tool.name);
    return {
      name,
      group: "group:mcp",
      description: tool.description ?? tool.title ?? `${tool.name} (MCP server ${this.name})`,
      parameters: argumentsSchema,
      jsonSchema: tool.inputSchema as Record<string, unknown>,
      run: (args, ctx) => this.callTool(tool.name, args as Record<string, unknown>, ctx),
    };
  }

  /**
   * Calls one of the server's tools. Failures the model should see (server down, timeout,
   * the tool's own error) come back as an error result; an abort is thrown.
   */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    ctx: Pick<ToolContext, "signal" | "emit">,
  ): Promise<ToolOutput> {
    const qualified = mcpToolName(this.name, tool);
    const session = this.#session;
    if (!session || this.#state !== "connected") {
      return {
        content: `MCP server "${this.name}" is not connected` +
          (this.#lastError ? `: ${this.#lastError}` : ""),
        isError: true,
      };
    }
    try {
      const result = await session.client.callTool({ name: tool, arguments: args }, undefined, {
        signal: ctx.signal,
        timeout: this.config.timeoutMs,
        resetTimeoutOnProgress: true,
        onprogress: (progress) =>
          ctx.emit({
            type: "progress",
            tool: qualified,
            progress: progress.progress,
            total: progress.total,
            message: progress.message,
          }),
      });
      return toToolOutput(result);
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? error;
      const timedOut = (error as { code?: unknown }).code === -32001;
      return {
        content: timedOut
          ? `MCP tool ${qualified} timed out after ${this.config.timeoutMs} ms`
          : `MCP tool ${qualified} failed: ${errorMessage(error)}`,
        isError: true,
      };
    }
  }
}

/** Closes a session; a child that has not exited after a grace period is killed. */
async function closeSession(session: McpSession): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<false>((
    resolve,
  ) => (timer = setTimeout(resolve, CLOSE_GRACE_MS, false)));
  const closed = (session.terminate?.() ?? Promise.resolve()).catch(() => {})
    .then(() => session.client.close()).then(() => true, () => true);
  const exited = await Promise.race([closed, grace]);
  clearTimeout(timer);
  // Only a child still running is killed: once it has exited its pid may belong to another.
  if (!exited && session.pid) {
    try {
      Deno.kill(session.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
