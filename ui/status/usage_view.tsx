/** @module The usage screen: totals, a chart by day and a table by model (`usage.get`). */

import { useState } from "preact/hooks";
import { formatCost, Loaded, Page, Refresh } from "../components.tsx";
import { useRpc } from "../gateway_context.ts";
import { UsageChart } from "./usage_chart.tsx";
import { fillDays } from "./usage_days.ts";

export function UsageView() {
  const [days, setDays] = useState(30);
  const usage = useRpc("usage.get", { days });
  return (
    <Page
      title="Usage"
      actions={
        <>
          <label>
            Period{" "}
            <select
              value={days}
              onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}
            >
              <option value={7}>7 days</option>
              <option value={30}>30 days</option>
              <option value={90}>90 days</option>
            </select>
          </label>
          <Refresh result={usage} />
        </>
      }
    >
      <Loaded result={usage} what="Usage">
        {(summary) => {
          const filled = fillDays(summary.byDay, summary.days);
          return (
            <>
              <dl class="stats">
                <div>
                  <dt>Tokens</dt>
                  <dd>{summary.totalTokens.toLocaleString()}</dd>
                </div>
                <div>
                  <dt>Prompt / completion</dt>
                  <dd>
                    {summary.promptTokens.toLocaleString()} /{" "}
                    {summary.completionTokens.toLocaleString()}
                  </dd>
                </div>
                <div>
                  <dt>Estimated cost</dt>
                  <dd>{formatCost(summary.estimatedCost)}</dd>
                </div>
                <div>
                  <dt>Model calls</dt>
                  <dd>{summary.requests.toLocaleString()}</dd>
                </div>
              </dl>
              <UsageChart days={filled} />
              <details>
                <summary>Usage by day as a table</summary>
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Day</th>
                        <th scope="col">Tokens</th>
                        <th scope="col">Cost</th>
                        <th scope="col">Calls</th>
                      </tr>
                    </thead>
                    <tbody>
                      {summary.byDay.map((d) => (
                        <tr key={d.date}>
                          <th scope="row">{d.date}</th>
                          <td>{d.totalTokens.toLocaleString()}</td>
                          <td>{formatCost(d.estimatedCost)}</td>
                          <td>{d.requests}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
              <h2>By model</h2>
              {summary.byModel.length === 0
                ? <p class="note">No model calls in this period.</p>
                : (
                  <div class="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Model</th>
                          <th scope="col">Tokens</th>
                          <th scope="col">Cost</th>
                          <th scope="col">Calls</th>
                        </tr>
                      </thead>
                      <tbody>
                        {summary.byModel.map((m) => (
                          <tr key={`${m.provider}/${m.model}`}>
                            <th scope="row">{m.provider}/{m.model}</th>
                            <td>{m.totalTokens.toLocaleString()}</td>
                            <td>{formatCost(m.estimatedCost)}</td>
                            <td>{m.requests}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
            </>
          );
        }}
      </Loaded>
    </Page>
  );
}
