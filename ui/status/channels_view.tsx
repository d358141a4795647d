/** @module The channels screen: each chat channel (`channels.list`) with its counters (`channels.status`). */

import { Badge, ErrorNote, formatTime, Loaded, Page, Refresh, toneOf } from "../components.tsx";
import { useRpc } from "../gateway_context.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";

type ChannelSummary = MethodResult<"channels.list">[number];

type ChannelStatus = MethodResult<"channels.status">;

export function ChannelsView() {
  const channels = useRpc("channels.list");
  return (
    <Page title="Channels" actions={<Refresh result={channels} />}>
      <Loaded result={channels} what="Channels">
        {(list) =>
          list.length === 0 ? <p class="note">No channels configured.</p> : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Channel</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Received / sent</th>
                    <th scope="col">Rejected / errors</th>
                    <th scope="col">Last message</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((channel) => <ChannelRow key={channel.id} channel={channel} />)}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
    </Page>
  );
}

function ChannelRow(props: { channel: ChannelSummary }) {
  const status = useRpc("channels.status", { channelId: props.channel.id });
  const metrics = status.data?.metrics;
  return (
    <tr>
      <th scope="row">{status.data?.name ?? props.channel.id}</th>
      <td>{props.channel.type}</td>
      <td>
        <Badge tone={toneOf(props.channel.status)}>{props.channel.status}</Badge>
        {metrics?.lastError && <p class="meta error">{metrics.lastError}</p>}
        <ErrorNote error={status.error} />
      </td>
      <td>{metrics ? `${metrics.received} / ${metrics.sent}` : "—"}</td>
      <td>{metrics ? `${metrics.rejected} / ${metrics.errors}` : "—"}</td>
      <td>{formatTime(metrics?.lastMessageAt)}</td>
    </tr>
  );
}
