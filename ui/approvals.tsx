/**
 * @module Exec approvals: commands an agent wants to run wait for approve or deny
 * (`tools.exec_approve`). The list comes from `tools.exec_pending` on every (re)connect, then
 * follows the `exec.approval.requested` and `exec.approval.resolved` events.
 */

import { useEffect, useState } from "preact/hooks";
import { ErrorNote, Page } from "./components.tsx";
import { useGateway, useGatewayEvent, useRpc } from "./gateway_context.ts";
import type { MethodResult } from "../core/protocol/methods.ts";

export type ApprovalRequest = MethodResult<"tools.exec_pending">["requests"][number];

/** The pending requests, kept up to date from events. */
export function useApprovalQueue(): { pending: ApprovalRequest[] } {
  const [pending, setPending] = useState<ApprovalRequest[]>([]);
  // What already waits when this tab connects (or reconnects): requests made while it was away.
  const listed = useRpc("tools.exec_pending");
  useEffect(() => {
    if (listed.data) setPending(listed.data.requests);
  }, [listed.data]);
  useGatewayEvent(["exec.approval.requested", "exec.approval.resolved"], (frame) => {
    if (frame.event === "exec.approval.requested") {
      const request = frame.payload;
      setPending((list) =>
        list.some((r) => r.requestId === request.requestId) ? list : [...list, request]
      );
    } else {
      setPending((list) => list.filter((r) => r.requestId !== frame.payload.requestId));
    }
  });
  // Expired requests are denied by the gateway; drop them even if the event was missed.
  useEffect(() => {
    if (!pending.length) return;
    const next = Math.min(...pending.map((r) => r.expiresAt)) - Date.now();
    const timer = setTimeout(
      () => setPending((list) => list.filter((r) => r.expiresAt > Date.now())),
      Math.max(0, next) + 50,
    );
    return () => clearTimeout(timer);
  }, [pending]);
  return { pending };
}

/** The approvals screen. */
export function ApprovalsView(props: { pending: ApprovalRequest[] }) {
  return (
    <Page title="Approvals">
      <p class="help">
        Commands the <code>exec</code>{" "}
        tool was asked to run and your policy says to confirm. Unanswered requests are denied when
        they expire.
      </p>
      <ApprovalList pending={props.pending} empty="No command is waiting for approval." />
    </Page>
  );
}

/** A list of pending requests with approve and deny buttons (also shown inside the chat). */
export function ApprovalList(props: { pending: ApprovalRequest[]; empty?: string }) {
  if (!props.pending.length) return props.empty ? <p class="note">{props.empty}</p> : null;
  return (
    <ul class="approvals" aria-label="Commands waiting for approval">
      {props.pending.map((request) => <ApprovalItem key={request.requestId} request={request} />)}
    </ul>
  );
}

function ApprovalItem(props: { request: ApprovalRequest }) {
  const gateway = useGateway();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const { request } = props;
  const answer = async (approved: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await gateway.call("tools.exec_approve", { requestId: request.requestId, approved });
    } catch (failure) {
      setError(failure as Error);
      setBusy(false);
    }
  };
  const seconds = Math.max(0, Math.round((request.expiresAt - Date.now()) / 1000));
  return (
    <li class="approval">
      <p class="approval-head">
        <strong>{request.agentId}</strong> wants to run, in session{" "}
        <code>{request.sessionId}</code>:
      </p>
      <pre class="command">{request.command}</pre>
      <p class="meta">
        in <code>{request.cwd}</code> · denied in about {seconds} s if unanswered
      </p>
      <ErrorNote error={error} what="Answer failed" />
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => answer(true)}>
          Approve
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => answer(false)}>
          Deny
        </button>
      </div>
    </li>
  );
}
