/** @module The logs screen: the last lines of the gateway's log file (`logs.tail`), refreshed on demand or every few seconds. */

import { useEffect, useState } from "preact/hooks";
import { Loaded, Page, Refresh } from "../components.tsx";
import { useRpc } from "../gateway_context.ts";

export function LogsView() {
  const [limit, setLimit] = useState(200);
  const [follow, setFollow] = useState(false);
  const logs = useRpc("logs.tail", { limit, localTime: true });
  useEffect(() => {
    if (!follow) return;
    const timer = setInterval(logs.reload, 3_000);
    return () => clearInterval(timer);
  }, [follow]);
  return (
    <Page
      title="Logs"
      actions={
        <>
          <label>
            Lines{" "}
            <select
              value={limit}
              onChange={(e) => setLimit(Number((e.target as HTMLSelectElement).value))}
            >
              <option value={100}>100</option>
              <option value={200}>200</option>
              <option value={1000}>1000</option>
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={follow}
              onChange={(e) => setFollow((e.target as HTMLInputElement).checked)}
            />
            Follow
          </label>
          <Refresh result={logs} />
        </>
      }
    >
      <Loaded result={logs} what="Logs">
        {({ lines, path }) => (
          <>
            <p class="meta">
              From <code>{path}</code>, oldest first.
            </p>
            <pre
              class="logs"
              tabIndex={0}
              aria-label="Log lines"
            >{lines.length ? lines.join("\n") : "The log is empty."}</pre>
          </>
        )}
      </Loaded>
    </Page>
  );
}
