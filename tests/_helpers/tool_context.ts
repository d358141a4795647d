/** @module A real {@linkcode ToolContext} over a temporary workspace, for calling tools directly. */

import { configSchema } from "../../core/config/schema.ts";
import { Logger } from "../../core/logger.ts";
import type { Tool, ToolContext, ToolEvent, ToolOutput, ToolServices } from "../../tools/tool.ts";

/** Options for {@linkcode toolContext}. */
export interface ToolContextOptions {
  /** Raw config (parsed with the real schema). */
  config?: Record<string, unknown>;
  restrictToWorkspace?: boolean;
  services?: ToolServices;
  signal?: AbortSignal;
}

/** A workspace folder, a context over it, and every event the tools emitted. */
export interface TestToolContext extends AsyncDisposable {
  dir: string;
  ctx: ToolContext;
  events: ToolEvent[];
  /** Validates `args` with the tool's schema, as the run loop does, and runs it. */
  call(tool: Tool, args: Record<string, unknown>): Promise<ToolOutput>;
}

/** Creates a temporary workspace; dispose of the result to remove it. */
export async function toolContext(options: ToolContextOptions = {}): Promise<TestToolContext> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-ws-" }));
  const config = configSchema().parse(options.config ?? {});
  const events: ToolEvent[] = [];
  const ctx: ToolContext = {
    signal: options.signal ?? new AbortController().signal,
    agentId: "main",
    sessionId: "test-session",
    workspaceDir: dir,
    restrictToWorkspace: options.restrictToWorkspace ?? config.tools.restrictToWorkspace,
    config: () => config,
    logger: new Logger({ consoleLevel: "silent" }),
    emit: (event) => void events.push(event),
    services: options.services ?? {},
  };
  return {
    dir,
    ctx,
    events,
    async call(tool, args) {
      const output = await tool.run(tool.parameters.parse(args), ctx);
      return typeof output === "string" ? { content: output } : output;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
