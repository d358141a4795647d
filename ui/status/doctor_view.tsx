/** @module The doctor screen: every check of `doctor.run` with its status and what to do. */

import { Badge, Loaded, Page, Refresh } from "../components.tsx";
import { useRpc } from "../gateway_context.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";

type DoctorReport = MethodResult<"doctor.run">;

export function DoctorView() {
  const report = useRpc("doctor.run", {}, 120_000);
  return (
    <Page title="Doctor" actions={<Refresh result={report} label="Run again" />}>
      <Loaded result={report} what="Doctor">
        {({ checks, summary }) => (
          <>
            <p class={`note ${summary.healthy ? "" : "error"}`} role="status">
              {summary.healthy ? "Healthy" : "Problems found"}: {summary.ok} ok, {summary.warn}{" "}
              warnings, {summary.fail} failures of {summary.total} checks.
            </p>
            <ul class="checks">
              {[...checks].sort((a, b) => rank(a.status) - rank(b.status)).map((check) => (
                <li key={check.id} class={`check ${check.status}`}>
                  <Badge tone={check.status}>{check.status}</Badge> <strong>{check.name}</strong>
                  <p>{check.message}</p>
                  {check.hint && <p class="meta">{check.hint}</p>}
                </li>
              ))}
            </ul>
          </>
        )}
      </Loaded>
    </Page>
  );
}

function rank(status: string): number {
  return status === "fail" ? 0 : status === "warn" ? 1 : 2;
}
