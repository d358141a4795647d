/** @module The sessions screen: every session file, a preview, and reset or delete (confirmed). */

import { useState } from "preact/hooks";
import { ErrorNote, formatBytes, formatTime, Loaded, Page, Refresh } from "./components.tsx";
import { useGateway, useRpc } from "./gateway_context.ts";
import { itemsFromHistory } from "./chat/chat_items.ts";
import { MessageList } from "./chat/message_list.tsx";
import type { MethodResult } from "../core/protocol/methods.ts";

type SessionInfo = MethodResult<"sessions.list">["sessions"][number];

export function SessionsView() {
  const sessions = useRpc("sessions.list");
  const [preview, setPreview] = useState<SessionInfo | null>(null);
  return (
    <Page title="Sessions" actions={<Refresh result={sessions} />}>
      <Loaded result={sessions} what="Sessions">
        {({ sessions: list }) =>
          list.length === 0 ? <p class="note">No sessions yet.</p> : (
            <div class="table-wrap">
              <table class="stacked">
                <caption class="visually-hidden">Sessions, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Agent</th>
                    <th scope="col">Session</th>
                    <th scope="col">Updated</th>
                    <th scope="col">Size</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {[...list].sort((a, b) => (b.updatedAt ?? "").localeCompare(a.updatedAt ?? ""))
                    .map((session) => (
                      <SessionRow
                        key={session.path}
                        session={session}
                        onPreview={() => setPreview(session)}
                        onChanged={() => {
                          sessions.reload();
                          if (preview?.path === session.path) setPreview(null);
                        }}
                      />
                    ))}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
      {preview && <Preview session={preview} onClose={() => setPreview(null)} />}
    </Page>
  );
}

function SessionRow(
  props: { session: SessionInfo; onPreview(): void; onChanged(): void },
) {
  const gateway = useGateway();
  const [confirm, setConfirm] = useState<"reset" | "delete" | null>(null);
  const [error, setError] = useState<Error | undefined>(undefined);
  const { session } = props;
  const act = async (method: "sessions.reset" | "sessions.delete") => {
    setError(undefined);
    try {
      await gateway.call(method, { path: session.path });
      setConfirm(null);
      props.onChanged();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  const chatHref = `#/chat?agent=${encodeURIComponent(session.agentId)}&session=${
    encodeURIComponent(session.sessionId)
  }`;
  return (
    <tr>
      <td data-label="Agent">{session.agentId}</td>
      <th scope="row" data-label="Session">
        <a href={chatHref}>{session.sessionId}</a>
      </th>
      <td data-label="Updated">{formatTime(session.updatedAt)}</td>
      <td data-label="Size">{formatBytes(session.size)}</td>
      <td>
        <div class="row-actions">
          {confirm
            ? (
              <>
                <span>{confirm === "reset" ? "Clear every message?" : "Delete the file?"}</span>
                <button
                  type="button"
                  class="danger"
                  onClick={() => act(confirm === "reset" ? "sessions.reset" : "sessions.delete")}
                >
                  Yes, {confirm}
                </button>
                <button type="button" onClick={() => setConfirm(null)}>Cancel</button>
              </>
            )
            : (
              <>
                <button type="button" onClick={props.onPreview}>
                  Preview<span class="visually-hidden">{` ${session.sessionId}`}</span>
                </button>
                <button type="button" onClick={() => setConfirm("reset")}>
                  Reset<span class="visually-hidden">{` ${session.sessionId}`}</span>
                </button>
                <button type="button" class="danger" onClick={() => setConfirm("delete")}>
                  Delete<span class="visually-hidden">{` ${session.sessionId}`}</span>
                </button>
              </>
            )}
        </div>
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}

function Preview(props: { session: SessionInfo; onClose(): void }) {
  const preview = useRpc("sessions.preview", {
    path: props.session.path,
    limit: 50,
  });
  return (
    <section class="panel" aria-labelledby="preview-title">
      <header class="page-head">
        <h2 id="preview-title">
          Preview: {props.session.agentId}/{props.session.sessionId}
        </h2>
        <button type="button" onClick={props.onClose}>Close preview</button>
      </header>
      <Loaded result={preview} what="Preview">
        {({ messages }) => <MessageList items={itemsFromHistory(messages)} busy={false} />}
      </Loaded>
    </section>
  );
}
