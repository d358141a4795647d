/** @module The one shape every agent tool has, and what a tool gets when it runs. */

import type { z } from "zod";
import type { Config } from "../core/config/schema.ts";
import type { ToolGroup } from "../core/tool_groups.ts";
import type { Logger } from "../core/logger.ts";
import type { SentFile } from "../core/protocol/events.ts";
import type { ExecApprovals } from "./exec_approvals.ts";
import type { FileDelivery } from "./file_delivery.ts";
import type { BrowserControl } from "./browser/lazy_manager.ts";
import type { PlanService } from "./plans/plan_types.ts";
import type { BackgroundProcesses } from "./process/background_processes.ts";
import type { SkillCatalog } from "./skills/skill_catalog.ts";
import type { CronScheduler } from "./cron_types.ts";
import type { MessageRouter } from "./message_types.ts";
import type { SessionDirectory, SubagentControl } from "./sessions/session_services.ts";
import type { MemoryBackend } from "./memory/memory_types.ts";
import type { CommandSandbox } from "./sandbox/command_sandbox.ts";

/** What a tool returns: text for the model, plus optional structured data and images. */
export interface ToolOutput {
  /** What the model reads. */
  content: string;
  /** Structured result for clients (`chat.tool_result`). */
  data?: unknown;
  /** Images the model may look at (vision models), e.g. screenshots. */
  images?: { mimeType: string; base64: string }[];
  /** True when the tool failed; `content` says why. */
  isError?: boolean;
}

/**
 * Services a tool may need, provided by the agent runtime (`agent/runtime.ts`). Each tool family
 * adds its own field here; a field is absent where the runtime has no such service (the local
 * CLI has no client to approve or download), and the tool then says why it cannot act.
 */
export interface ToolServices {
  /** Asks connected clients to approve an `exec` command (`tools.exec_approve`). */
  approvals?: ExecApprovals;
  /** Serves files `send_file` delivers at a token-protected download URL. */
  fileDelivery?: FileDelivery;
  /** Running Chromium profiles, for the `browser` tool. */
  browser?: BrowserControl;
  /** The gateway's environment (tools never read `Deno.env`): `DISPLAY` for screenshots, ... */
  env?: Record<string, string | undefined>;
  /** The skills `read_skill` loads. */
  skills?: SkillCatalog;
  /** Where the `plan` tool keeps plans. */
  plans?: PlanService;
  /** The jobs the `cron` tool schedules (gateway only). */
  cron?: CronScheduler;
  /** Where the `message` tool sends: channels and sessions (gateway only). */
  messages?: MessageRouter;
  /** Sessions and agents, for `sessions_list`, `sessions_send`, `session_status`, `agents_list`. */
  sessionDirectory?: SessionDirectory;
  /** Sub-agents, for `sessions_spawn` and `subagents` (gateway only). */
  subagents?: SubagentControl;
  /** Background commands of `process` and `exec` with `background`. */
  processes?: BackgroundProcesses;
  /** Long-term memory search (`memory_search`, `memory_get`). */
  memory?: MemoryBackend;
  /** Confines `exec` and `process` commands (bubblewrap); absent: commands run on the host. */
  sandbox?: CommandSandbox;
}

/** What a tool gets for one call. */
export interface ToolContext {
  /** Aborted on `chat.abort`, disconnect or shutdown; tools must stop promptly. */
  signal: AbortSignal;
  agentId: string;
  sessionId: string;
  /** The agent's workspace folder; file tools stay inside it when `restrictToWorkspace`. */
  workspaceDir: string;
  restrictToWorkspace: boolean;
  config(): Config;
  logger: Logger;
  /** Tells the clients of this session something while the tool runs (see {@linkcode ToolEvent}). */
  emit(event: ToolEvent): void;
  services: ToolServices;
}

/**
 * What a tool tells its session's clients while it runs, in the tool's own terms; the server
 * turns each into its wire event (`chat.file`, `chat.tool_progress`).
 */
export type ToolEvent =
  /** A file for the user (`send_file`): inline base64 `data`, or a download `url`. */
  | ({ type: "file" } & SentFile)
  | {
    /** Progress an MCP tool reported. */
    type: "progress";
    /** The tool's name as the agent calls it (`mcp:<server>:<tool>`). */
    tool: string;
    progress: number;
    total?: number;
    message?: string;
  };

/** An agent tool: a value, not a class. */
export interface Tool<P extends z.ZodType = z.ZodType> {
  /** Unique name; MCP tools are `mcp:<server>:<tool>`. */
  name: string;
  /** The group `tools.allow` / `tools.deny` may name it by (`group:file`, ...). */
  group?: ToolGroup;
  description: string;
  /** Arguments schema; converted to JSON Schema for the model. */
  parameters: P;
  /**
   * The JSON Schema the model sees, when the tool already has one (MCP tools): it is sent as-is
   * instead of converting `parameters`, which is then only a loose check.
   */
  jsonSchema?: Record<string, unknown>;
  run(args: z.output<P>, ctx: ToolContext): Promise<ToolOutput | string>;
}

/** Declares a tool with its `run` arguments typed from its schema. */
export function defineTool<P extends z.ZodType>(tool: Tool<P>): Tool {
  return tool as unknown as Tool;
}
