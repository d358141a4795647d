/** @module The cron screen: scheduled agent turns (`cron.list`) and their runs (`cron.history`). */

import { Badge, formatTime, Loaded, Page, toneOf } from "../components.tsx";
import { useRpc } from "../gateway_context.ts";
import { madeBy } from "./cron_jobs.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";

type CronRun = MethodResult<"cron.history">["records"][number];

export function CronView() {
  const jobs = useRpc("cron.list");
  const history = useRpc("cron.history", { limit: 50 });
  return (
    <Page
      title="Cron"
      actions={
        <button type="button" onClick={() => (jobs.reload(), history.reload())}>Refresh</button>
      }
    >
      <h2>Jobs</h2>
      <Loaded result={jobs} what="Cron jobs">
        {(list) =>
          list.length === 0
            ? (
              <p class="note">
                No cron jobs. Add one with <code>pyclaw cron add</code> or <code>cron.add</code>.
              </p>
            )
            : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Schedule</th>
                      <th scope="col">Agent</th>
                      <th scope="col">Message</th>
                      <th scope="col">Made by</th>
                      <th scope="col">Next run</th>
                      <th scope="col">Last run</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((job) => (
                      <tr key={job.id}>
                        <th scope="row">
                          <code>{job.cron}</code>
                          {job.timezone && <span class="meta">{job.timezone}</span>}
                        </th>
                        <td>{job.agentId}</td>
                        <td>
                          {job.name && <strong>{job.name}:</strong>} {job.message}
                        </td>
                        <td>{madeBy(job)}</td>
                        <td>{formatTime(job.nextRunAt)}</td>
                        <td>
                          {formatTime(job.lastRunAt)}{" "}
                          {job.lastStatus && (
                            <Badge tone={toneOf(job.lastStatus)}>{job.lastStatus}</Badge>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
      </Loaded>
      <h2>History</h2>
      <Loaded result={history} what="Cron history">
        {({ records }) =>
          records.length === 0 ? <p class="note">No runs yet.</p> : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Job</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Status</th>
                    <th scope="col">Took</th>
                    <th scope="col">Answer or error</th>
                  </tr>
                </thead>
                <tbody>
                  {records.map((run) => (
                    <tr key={run.id}>
                      <th scope="row">{formatTime(run.start)}</th>
                      <td>
                        <code>{run.jobId}</code>
                      </td>
                      <td>{run.trigger}</td>
                      <td>
                        <Badge tone={toneOf(run.status === "skipped" ? "warn" : run.status)}>
                          {run.status}
                        </Badge>
                      </td>
                      <td>{(run.durationMs / 1000).toFixed(1)} s</td>
                      <td>{run.error ?? run.preview ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
    </Page>
  );
}
