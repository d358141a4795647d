/**
 * @module The one place that shapes `chat.*` events: each event a session's clients are told in
 * the agent's terms ({@linkcode RunEvent}) becomes its catalogue payload, published to that
 * session's clients. Every path that runs or posts into a session (`chat.send`, `/v1/*` with an
 * agent, cron, heartbeat, channels, `sessions_send`, sub-agents, plans) reaches the wire here.
 */

import { type EventPublisher, sessionKeyOf } from "../core/event_bus.ts";
import type { RunEvent, RunEventSink } from "../agent/run_types.ts";
import type { SessionKey } from "../tools/sessions/session_services.ts";

/**
 * The sink the agent runtime hands its run events to, publishing each as its `chat.*` event.
 * Per streamed delta it builds the one payload and nothing else: no copies, no validation (tests
 * validate what reaches the wire against the catalogue).
 */
export function chatEventPublisher(publish: EventPublisher): RunEventSink {
  return (session, event) => publishChatEvent(publish, session, event);
}

/** Publishes `event` of `session` as its `chat.*` event to the session's clients. */
function publishChatEvent(publish: EventPublisher, session: SessionKey, event: RunEvent): void {
  const { sessionId, agentId } = session;
  // Built per event: measured here, caching it per session object (a WeakMap) cost more.
  const route = sessionKeyOf(agentId, sessionId);
  switch (event.type) {
    case "delta":
      return publish(
        "chat.delta",
        { sessionId, agentId, delta: event.text, role: "assistant" },
        route,
      );
    case "tool_call":
      return publish("chat.tool_call", {
        sessionId,
        agentId,
        tool: event.tool,
        args: event.args,
        callId: event.id,
      }, route);
    case "tool_result":
      return publish("chat.tool_result", {
        sessionId,
        agentId,
        tool: event.tool,
        result: event.result,
        output: event.output,
        callId: event.id,
        isError: event.isError,
      }, route);
    case "done":
      return publish("chat.done", {
        sessionId,
        agentId,
        usage: event.usage,
        aborted: event.aborted,
        ...(event.stopReason ? { stopReason: event.stopReason } : {}),
        // A run aborted before it started names no model.
        ...(event.provider !== undefined ? { provider: event.provider, model: event.model } : {}),
      }, route);
    case "error":
      return publish("chat.error", {
        sessionId,
        agentId,
        error: event.error.message,
        code: event.error.code,
        ...(event.error.retryAfterMs !== undefined
          ? { retryAfterMs: event.error.retryAfterMs }
          : {}),
      }, route);
    case "file": {
      const { type: _type, ...file } = event;
      return publish("chat.file", { sessionId, agentId, ...file }, route);
    }
    case "progress":
      return publish("chat.tool_progress", {
        sessionId,
        tool: event.tool,
        progress: event.progress,
        total: event.total,
        message: event.message,
        agentId,
      }, route);
    case "message":
      return publish("chat.message", {
        agentId,
        sessionId,
        role: "assistant",
        text: event.text,
        from: event.from,
      }, route);
  }
}
