/**
 * @module The shapes of the agent run loop (what it needs, what it is asked, what it yields),
 * apart from `run.ts` so that the modules the loop uses can name them without importing it back.
 */

import type { Config } from "../core/config/schema.ts";
import type { ErrorCode } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { ToolEvent, ToolServices } from "../tools/tool.ts";
import type { SessionKey } from "../tools/sessions/session_services.ts";
import type { AgentSettings } from "./agents.ts";
import type { Attachment } from "./attachments.ts";
import type { SessionCompactor } from "./compaction.ts";
import type { ProviderRegistry, ResolvedModel } from "./providers/registry.ts";
import type { Usage } from "./providers/types.ts";
import type { SessionStore } from "./sessions/session_store.ts";
import type { SystemEventQueue } from "./system_events.ts";
import type { UsageStore } from "./usage_store.ts";

/** What a run yields. */
export type AgentEvent =
  | { type: "delta"; text: string }
  | { type: "tool_call"; id: string; tool: string; args: unknown }
  | {
    type: "tool_result";
    id: string;
    tool: string;
    /** The tool's structured data when it has any, else its text. */
    result: unknown;
    /** The text the model reads (capped for the event; see run.ts `eventOutput`). */
    output: string;
    isError: boolean;
  }
  | {
    type: "done";
    usage: Usage;
    /** The final answer's text (the last model call's). */
    text: string;
    aborted: boolean;
    provider: string;
    model: string;
    /**
     * Why the turn ended: `length` when its model stopped at a token limit (its own, or what was
     * left of the request's `maxTokens`), else `stop`. Absent for an aborted turn.
     */
    finishReason?: "stop" | "length";
    /** Why the answer ended before the model was done; absent when it simply answered. */
    stopReason?: StopReason;
  }
  | {
    type: "error";
    error: { code: ErrorCode; message: string; retryAfterMs?: number };
    /** Text streamed before the failure (kept in the session). */
    text: string;
    /**
     * The HTTP status of an upstream provider's failure where it is not its code's (502, 504:
     * agent/providers/errors.ts `upstreamStatusOf`), for the OpenAI-compatible HTTP API.
     */
    upstreamStatus?: number;
  };

/**
 * Why a turn's answer ended while the model still asked for tools, which were not run:
 * `toolLimit`, the agent's tool rounds (`maxIterations`) were used up; `noTools`, the turn
 * offered the model no tools at all (none enabled, or `maxIterations` 1).
 */
export type StopReason = "toolLimit" | "noTools";

/**
 * What a session's clients are told, in the agent's terms: its runs' events, what its tools
 * report, and words posted into it without a run. The server names each on the wire (`chat.*`,
 * `server/chat_events.ts`); nothing in the agent does.
 */
export type RunEvent =
  | Exclude<AgentEvent, { type: "done" }>
  | {
    type: "done";
    usage: Usage;
    text: string;
    aborted: boolean;
    stopReason?: StopReason;
    /** Absent when the run was aborted before it started (nothing was asked of a model). */
    provider?: string;
    model?: string;
  }
  | ToolEvent
  | {
    /** Words posted into the session by another session's agent (`sessions_send`, `message`). */
    type: "message";
    text: string;
    from: SessionKey;
  };

/**
 * Receives the events of a session's clients ({@linkcode RunEvent}). Called once per event on
 * the run's path (every streamed delta), so it must be cheap: `session` is the same object for
 * the whole run.
 */
export type RunEventSink = (session: SessionKey, event: RunEvent) => void;

/** What the loop needs from the gateway. */
export interface AgentRunDeps {
  config(): Config;
  providers: ProviderRegistry;
  sessions: SessionStore;
  paths: StatePaths;
  logger: Logger;
  tools?: ToolRegistry;
  usage?: UsageStore;
  systemEvents?: SystemEventQueue;
  toolServices?: ToolServices;
  /** Where the session's clients are told what tools report (`ToolContext.emit`). */
  onRunEvent?: RunEventSink;
  /** Compacts sessions whose history outgrows the model (one at a time per session). */
  compactor?: SessionCompactor;
}

/** One turn to run. */
export interface AgentRunRequest {
  agentId: string;
  sessionId: string;
  /** `send` appends `message`; `resend` reruns the last user message; `edit` replaces it. */
  mode?: "send" | "resend" | "edit";
  message?: string;
  attachments?: Attachment[];
  model?: string;
  provider?: string;
  systemPrompt?: string;
  temperature?: number;
  /**
   * At most this many output tokens for the whole turn: each model call may write what is left
   * (never above the model's own limit), and the turn ends, reason `length`, when none is.
   */
  maxTokens?: number;
  /** Offer the agent's tools. @default true */
  tools?: boolean;
  signal?: AbortSignal;
}

/** A request checked and resolved before it waits for its session. */
export interface PreparedRun {
  request: AgentRunRequest;
  agent: AgentSettings;
  resolved: ResolvedModel;
}
