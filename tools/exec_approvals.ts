/**
 * @module The exec approval broker: a command the policy says to ask about waits here until a
 * client answers `tools.exec_approve`, the request expires (denied), or the run is aborted.
 * The gateway builds one and publishes its events to every connected client.
 */

import { type Clock, systemClock } from "../core/clock.ts";
import type { EventName, EventPayload } from "../core/protocol/events.ts";

/** A command waiting for a decision, as clients see it in `exec.approval.requested`. */
export interface ExecApprovalRequest {
  requestId: string;
  command: string;
  cwd: string;
  sessionId: string;
  agentId: string;
  /** When it will be denied unanswered (ms since the epoch). */
  expiresAt: number;
}

/** How a request ended. */
export type ExecApprovalOutcome = "approved" | "denied" | "timeout" | "aborted" | "shutdown";

/** What the exec tool needs from the broker. */
export interface ExecApprovals {
  /** Asks the clients; resolves with the outcome, never rejects. */
  request(
    info: Omit<ExecApprovalRequest, "requestId" | "expiresAt">,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ExecApprovalOutcome>;
}

/** Sends an approval event to every connected client. */
export type ApprovalPublisher = <E extends typeof APPROVAL_REQUESTED | typeof APPROVAL_RESOLVED>(
  event: E,
  payload: EventPayload<E>,
) => void;

interface Pending {
  request: ExecApprovalRequest;
  finish(outcome: ExecApprovalOutcome): void;
}

/** Event names, after OpenClaw's. */
export const APPROVAL_REQUESTED = "exec.approval.requested" satisfies EventName;
export const APPROVAL_RESOLVED = "exec.approval.resolved" satisfies EventName;

/** Holds pending approval requests; one per gateway. */
export class ExecApprovalBroker implements ExecApprovals {
  #pending = new Map<string, Pending>();
  #publish: ApprovalPublisher;
  #clock: Clock;

  /** @param clock where requests expire (tests pass a manual clock) */
  constructor(publish: ApprovalPublisher, clock: Clock = systemClock) {
    this.#publish = publish;
    this.#clock = clock;
  }

  request(
    info: Omit<ExecApprovalRequest, "requestId" | "expiresAt">,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ExecApprovalOutcome> {
    if (options.signal?.aborted) return Promise.resolve("aborted");
    const request: ExecApprovalRequest = {
      requestId: crypto.randomUUID(),
      ...info,
      expiresAt: this.#clock.now() + options.timeoutMs,
    };
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => finish("timeout"), options.timeoutMs);
      const onAbort = () => finish("aborted");
      const finish = (outcome: ExecApprovalOutcome) => {
        if (!this.#pending.delete(request.requestId)) return;
        this.#clock.clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#publish(APPROVAL_RESOLVED, {
          requestId: request.requestId,
          approved: outcome === "approved",
          outcome,
        });
        resolve(outcome);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(request.requestId, { request, finish });
      this.#publish(APPROVAL_REQUESTED, request);
    });
  }

  /**
   * Records a client's answer.
   *
   * @returns false when no request has that id (unknown, answered, or expired)
   */
  resolve(requestId: string, approved: boolean): boolean {
    const pending = this.#pending.get(requestId);
    if (!pending) return false;
    pending.finish(approved ? "approved" : "denied");
    return true;
  }

  /** Requests still waiting, oldest first. */
  pending(): ExecApprovalRequest[] {
    return [...this.#pending.values()].map((pending) => pending.request);
  }

  /** Denies everything still waiting (the gateway is stopping). */
  close(): void {
    for (const pending of [...this.#pending.values()]) pending.finish("shutdown");
  }
}
