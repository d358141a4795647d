/**
 * @module The catalogue of events: each event name the gateway pushes, once, with its payload
 * schema. `chat.*` payloads all carry the run's `sessionId` and `agentId`.
 */

import { z } from "zod";
import { events } from "./contract.ts";
import { errorCode, isoTime, usage } from "./methods/_shared.ts";
import { systemEventMode } from "./methods/system.ts";
import { execApprovalRequest } from "./methods/tools.ts";

const run = { sessionId: z.string(), agentId: z.string() };

export const EVENTS = events({
  "chat.delta": {
    summary: "A piece of the answer's text",
    payload: z.object({ ...run, delta: z.string(), role: z.literal("assistant") }),
  },
  "chat.tool_call": {
    summary: "The agent called a tool",
    payload: z.object({ ...run, tool: z.string(), args: z.unknown(), callId: z.string() }),
  },
  "chat.tool_result": {
    summary: "A tool call's result",
    payload: z.object({
      ...run,
      tool: z.string(),
      result: z.unknown(),
      /** The text the model read (capped, with a marker where it was cut). */
      output: z.string(),
      callId: z.string(),
      isError: z.boolean(),
    }),
  },
  "chat.tool_progress": {
    summary: "Progress an MCP tool reported while it runs",
    payload: z.object({
      ...run,
      tool: z.string(),
      progress: z.number(),
      total: z.number().optional(),
      message: z.string().optional(),
    }),
  },
  "chat.file": {
    summary: "A file the agent sent (`send_file`): inline base64 `data`, or a download `url`",
    payload: z.object({
      ...run,
      name: z.string(),
      mimeType: z.string(),
      size: z.number(),
      caption: z.string().optional(),
      data: z.string().optional(),
      url: z.string().optional(),
      /** Epoch ms when the download link stops working. */
      expiresAt: z.number().optional(),
    }),
  },
  "chat.message": {
    summary: "The agent posted into a session without a run (`sessions_send`, `message`)",
    payload: z.object({
      ...run,
      role: z.literal("assistant"),
      text: z.string(),
      from: z.object(run),
    }),
  },
  "chat.done": {
    summary:
      "The run ended (`aborted` when it was cut short; `stopReason` when it ended with tool calls not run)",
    payload: z.object({
      ...run,
      usage,
      aborted: z.boolean(),
      provider: z.string().optional(),
      model: z.string().optional(),
      /**
       * Extension: present when the answer ended while the model still asked for tools, which
       * were not run: `toolLimit` (the agent's maxIterations used up) or `noTools` (the turn
       * offered none). The answer's text is the model's own; a client may say why it stopped.
       */
      stopReason: z.enum(["toolLimit", "noTools"]).optional(),
    }),
  },
  "chat.error": {
    summary: "The run failed",
    payload: z.object({
      ...run,
      error: z.string(),
      code: errorCode,
      retryAfterMs: z.number().optional(),
    }),
  },
  "exec.approval.requested": {
    summary: "An `exec` command waits for `tools.exec_approve`",
    payload: execApprovalRequest,
  },
  "exec.approval.resolved": {
    summary: "An `exec` approval was answered, timed out or withdrawn",
    payload: z.object({
      requestId: z.string(),
      approved: z.boolean(),
      outcome: z.enum(["approved", "denied", "timeout", "aborted", "shutdown"]),
    }),
  },
  "system.event": {
    summary: "A `system.event` call's text",
    payload: z.object({
      text: z.string(),
      mode: systemEventMode,
      time: isoTime,
      eventType: z.literal("system"),
    }),
  },
  presence: {
    summary: "The number of connections changed (coalesced, at most one a second)",
    payload: z.object({ connections: z.number() }),
  },
  "config.changed": {
    summary: "The config file was reloaded; `changed` names the top-level sections",
    payload: z.object({ changed: z.array(z.string()) }),
  },
  "config.error": {
    summary: "An edit of the config file is broken; the last good config stays in force",
    payload: z.object({
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  },
});

/** Every event name the gateway pushes. */
export type EventName = keyof typeof EVENTS;

/** The payload of event `E`. */
export type EventPayload<E extends EventName> = z.output<typeof EVENTS[E]["payload"]>;

/** A file `send_file` delivered, without the run it came from: what the tool emits and the UI shows. */
export type SentFile = Omit<EventPayload<"chat.file">, "sessionId" | "agentId">;

/** An event frame whose payload is typed by its name. */
export type TypedEventFrame = {
  [E in EventName]: { type: "event"; event: E; seq: number; payload: EventPayload<E> };
}[EventName];
