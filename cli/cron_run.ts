/**
 * @module The `pyclaw cron` commands' work: `cron.*` on the gateway, else on the same services in
 * this process, where scheduling is off (no job runs here; the gateway will run it).
 */

import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean };

export async function cronList(flags: Flags): Promise<void> {
  const { result: jobs } = await gatewayOrLocal(
    flags,
    (client, target) => client.request("cron.list", {}, { timeoutMs: target.timeoutMs }),
    { readOnly: true },
  ).catch((error) => fail(error));
  if (flags.json) {
    printJson(jobs);
    return;
  }
  if (jobs.length === 0) console.log("No cron jobs");
  for (const job of jobs) {
    const tz = job.timezone ? ` (${job.timezone})` : "";
    console.log(`${job.id}  ${job.cron}${tz}  \u2192 ${job.agentId}: ${job.message.slice(0, 60)}`);
    console.log(
      `    next ${job.nextRunAt ?? "never"}${
        job.lastStatus ? `, last ${job.lastStatus} at ${job.lastRunAt}` : ""
      }`,
    );
  }
}

export async function cronAdd(
  schedule: string,
  message: string,
  flags: Flags & { agent?: string; tz?: string },
): Promise<void> {
  const params = {
    cron: schedule,
    message,
    ...(flags.agent ? { agentId: flags.agent } : {}),
    ...(flags.tz ? { timezone: flags.tz } : {}),
  };
  try {
    const { result, via } = await gatewayOrLocal(
      flags,
      (client, target) => client.request("cron.add", params, { timeoutMs: target.timeoutMs }),
    );
    if (flags.json) {
      printJson({ id: result.id, cron: result.cron, nextRunAt: result.nextRunAt, via });
    } else {
      console.log(`Added ${result.id}: next run ${result.nextRunAt ?? "never"}`);
      if (via === "local") {
        console.log("(no gateway running: the job runs once `pyclaw gateway run` starts)");
      }
    }
  } catch (error) {
    fail(error);
  }
}

export async function cronRemove(id: string, flags: Flags): Promise<void> {
  try {
    await gatewayOrLocal(
      flags,
      (client, target) => client.request("cron.remove", { id }, { timeoutMs: target.timeoutMs }),
    );
    if (flags.json) printJson({ ok: true, id });
    else console.log(`Removed ${id}`);
  } catch (error) {
    fail(error);
  }
}
