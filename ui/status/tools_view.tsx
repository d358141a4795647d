/** @module The tools screen: MCP servers (`mcp.status`) and the whole agent tool pool (`tools.list`). */

import { Badge, formatTime, Loaded, Page } from "../components.tsx";
import { useRpc } from "../gateway_context.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";

type McpServer = MethodResult<"mcp.status">["servers"][number];

const STATE_TONE: Record<string, "ok" | "warn" | "fail" | "info"> = {
  connected: "ok",
  connecting: "warn",
  error: "fail",
  disabled: "info",
  closed: "info",
};

export function ToolsView() {
  const servers = useRpc("mcp.status");
  const tools = useRpc("tools.list");
  return (
    <Page
      title="Tools & MCP"
      actions={
        <button type="button" onClick={() => (servers.reload(), tools.reload())}>Refresh</button>
      }
    >
      <h2>MCP servers</h2>
      <Loaded result={servers} what="MCP servers">
        {({ servers: list }) =>
          list.length === 0
            ? (
              <p class="note">
                No MCP servers configured (<code>tools.mcpServers</code>).
              </p>
            )
            : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Server</th>
                      <th scope="col">Transport</th>
                      <th scope="col">State</th>
                      <th scope="col">Tools</th>
                      <th scope="col">Since</th>
                      <th scope="col">Last error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((server) => (
                      <tr key={server.name}>
                        <th scope="row">{server.name}</th>
                        <td>{server.transport}</td>
                        <td>
                          <Badge tone={STATE_TONE[server.state] ?? "info"}>{server.state}</Badge>
                          {server.failures > 0 && ` (${server.failures} failures)`}
                        </td>
                        <td>{server.toolCount}</td>
                        <td>{formatTime(server.connectedAt)}</td>
                        <td>{server.lastError ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
      </Loaded>
      <h2>Agent tools</h2>
      <Loaded result={tools} what="Tools">
        {(list) => (
          <dl class="tool-list">
            {list.map((tool) => (
              <div key={tool.name}>
                <dt>
                  <code>{tool.name}</code>
                </dt>
                <dd>{tool.description}</dd>
              </div>
            ))}
          </dl>
        )}
      </Loaded>
    </Page>
  );
}
