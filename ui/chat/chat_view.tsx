/**
 * @module The chat screen: pick an agent and session, read the conversation, send (with
 * attachments), watch the answer stream in, abort, regenerate (`chat.resend`) and edit the last
 * message (`chat.edit`). Commands waiting for approval in this session show above the composer.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { ApprovalList, type ApprovalRequest } from "../approvals.tsx";
import { ErrorNote, useScreenFocus } from "../components.tsx";
import { isGatewayError } from "../../core/protocol/errors.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";
import { useGateway, useGatewayEvent, useRpc } from "../gateway_context.ts";
import {
  applyChatEvent,
  type ChatItem,
  itemsFromHistory,
  truncateAfterLastUser,
} from "./chat_items.ts";
import { type Attachment, Composer } from "./composer.tsx";
import { endsMidRun, HistorySync } from "./history_sync.ts";
import { MessageList } from "./message_list.tsx";

const CHAT_EVENTS = [
  "chat.delta",
  "chat.tool_call",
  "chat.tool_result",
  "chat.tool_progress",
  "chat.file",
  "chat.message",
  "chat.done",
  "chat.error",
] as const;
/** A run may take long (tools, approvals); the request answers when it ends. */
const RUN_TIMEOUT_MS = 60 * 60 * 1000;

function newSessionId(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `web-${stamp}`;
}

export function ChatView(props: { query: URLSearchParams; approvals: ApprovalRequest[] }) {
  const gateway = useGateway();
  const heading = useRef<HTMLHeadingElement>(null);
  useScreenFocus(heading, "Chat");
  const agents = useRpc("agents.list");
  const [agentId, setAgentId] = useState(props.query.get("agent") ?? "main");
  const [sessionId, setSessionId] = useState(props.query.get("session") ?? "main");
  const sessions = useRpc("sessions.list", { agentId });
  const [items, setItems] = useState<ChatItem[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [historyError, setHistoryError] = useState<Error | undefined>(undefined);

  useEffect(() => {
    const agent = props.query.get("agent");
    const session = props.query.get("session");
    if (agent) setAgentId(agent);
    if (session) setSessionId(session);
  }, [props.query.toString()]);

  const sync = useRef(new HistorySync()).current;
  const loadHistory = () => {
    const load = sync.start();
    gateway.call("chat.history", { agentId, sessionId }).then(
      ({ messages }) => {
        if (!sync.settled(load, endsMidRun(messages))) return;
        setItems(itemsFromHistory(messages));
        setHistoryError(undefined);
      },
      (failure: Error) => {
        if (!sync.settled(load)) return;
        // A session with no file yet is simply empty.
        setItems([]);
        setHistoryError(
          isGatewayError(failure) && failure.code === "NOT_FOUND" ? undefined : failure,
        );
      },
    );
  };

  // Load the conversation when the session changes or the connection comes back, a run of this
  // screen's on its way or not: what the read cannot hold of it yet, its end reads again
  // (ui/chat/history_sync.ts).
  useEffect(() => {
    if (gateway.state.kind !== "open") return;
    loadHistory();
    return () => sync.reset();
  }, [agentId, sessionId, gateway.generation]);

  useGatewayEvent(CHAT_EVENTS, (frame) => {
    const { payload } = frame;
    if (payload.sessionId !== sessionId) return;
    if (payload.agentId !== undefined && payload.agentId !== agentId) return;
    setItems((current) => applyChatEvent(current, frame));
    // A run that ended with a gap in what this screen saw of it (ui/chat/history_sync.ts).
    if (sync.event(frame.event, frame.event === "chat.done" && frame.payload.aborted)) {
      loadHistory();
    }
  });

  const run = async (start: () => Promise<MethodResult<"chat.send">>) => {
    setBusy(true);
    setError(undefined);
    // Which run is this screen's is kept by the sync, not read from `busy`: its events can come
    // before a render has the new state, and `busy` cannot tell its end from another run's.
    const request = sync.request();
    // The picker lists session ids only: a session it has is not listed again after each run (a
    // gateway that has run for months holds thousands, and the list stats every file).
    const listed =
      sessions.data?.sessions.some((s) => s.sessionId === sessionId && s.agentId === agentId) ??
        false;
    let ran = false;
    try {
      const outcome = await start();
      ran = true;
      if (outcome.error) setError(new Error(outcome.error.message));
      if (!listed) sessions.reload();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
      // Another's run ended while this one waited for the session (ui/chat/history_sync.ts).
      if (sync.answered(request, ran)) loadHistory();
    }
  };

  const send = (text: string, attachments: Attachment[]) => {
    setItems((current) => [...current, {
      kind: "user",
      text,
      attachments: attachments.map((a) => a.fileName),
    }]);
    return run(() =>
      gateway.call("chat.send", {
        agentId,
        sessionId,
        message: text,
        ...(attachments.length ? { attachments } : {}),
      }, RUN_TIMEOUT_MS)
    );
  };
  const regenerate = () => {
    setItems((current) => truncateAfterLastUser(current));
    return run(() => gateway.call("chat.resend", { agentId, sessionId }, RUN_TIMEOUT_MS));
  };
  const edit = (text: string) => {
    setItems((current) => truncateAfterLastUser(current, text));
    return run(() =>
      gateway.call("chat.edit", { agentId, sessionId, message: text }, RUN_TIMEOUT_MS)
    );
  };
  const abort = async () => {
    try {
      await gateway.call("chat.abort", { agentId, sessionId });
    } catch (failure) {
      setError(failure as Error);
    }
  };

  const sessionIds = new Set((sessions.data?.sessions ?? []).map((s) => s.sessionId));
  sessionIds.add(sessionId);
  const lastUser = items.findLast((item) => item.kind === "user");
  const waiting = props.approvals.filter((r) => r.sessionId === sessionId && r.agentId === agentId);

  return (
    <section class="page chat" aria-labelledby="page-title">
      <header class="page-head chat-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>Chat</h1>
        <div class="chat-pickers">
          <label>
            Agent
            <select
              value={agentId}
              onChange={(e) => setAgentId((e.target as HTMLSelectElement).value)}
              disabled={busy}
            >
              {(agents.data ?? [{ id: agentId, name: agentId, model: null }]).map((agent) => (
                <option key={agent.id} value={agent.id}>
                  {agent.name && agent.name !== agent.id ? `${agent.name} (${agent.id})` : agent.id}
                </option>
              ))}
            </select>
          </label>
          <label>
            Session
            <select
              value={sessionId}
              onChange={(e) => setSessionId((e.target as HTMLSelectElement).value)}
              disabled={busy}
            >
              {[...sessionIds].sort().map((id) => <option key={id} value={id}>{id}</option>)}
            </select>
          </label>
          <button type="button" disabled={busy} onClick={() => setSessionId(newSessionId())}>
            New session
          </button>
        </div>
      </header>
      <ErrorNote error={agents.error} what="Agents" />
      <ErrorNote error={historyError} what="History" />
      <MessageList items={items} busy={busy} />
      <ApprovalList pending={waiting} />
      <ErrorNote error={error} />
      <Composer
        busy={busy}
        canRedo={!busy && lastUser !== undefined}
        lastUserText={lastUser?.kind === "user" ? lastUser.text : ""}
        onSend={send}
        onAbort={abort}
        onRegenerate={regenerate}
        onEdit={edit}
      />
    </section>
  );
}
