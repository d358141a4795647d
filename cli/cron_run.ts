/**
 * @module The `pyclaw cron` commands' work: `cron.*` on the gateway, else the same cron service
 * on the local files with scheduling off (it never runs a job here; the gateway will).
 */

import { type CronJobInfo, CronService } from "../agent/cron/cron_service.ts";
import { assertAgentExists } from "../agent/turn_runner.ts";
import { Logger } from "../core/logger.ts";
import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { loadLocalConfig, localPaths } from "./_local_state.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean };

/** Runs `work` on a cron service over the local files that schedules nothing. */
async function withLocalCron<T>(work: (cron: CronService) => Promise<T>): Promise<T> {
  const config = await loadLocalConfig();
  const cron = new CronService({
    cronDir: localPaths().cronDir,
    logger: new Logger({ consoleLevel: "silent" }),
    // Disabled: loading neither catches up missed runs nor records them; the gateway does.
    settings: () => ({ ...config.cron, enabled: false }),
    runner: {
      run: () => Promise.reject(new Error("Cron jobs run in the gateway")),
      checkAgent: (agentId) => assertAgentExists(config, agentId),
    },
  });
  try {
    return await work(cron);
  } finally {
    await cron.stop();
  }
}

export async function cronList(flags: Flags): Promise<void> {
  let jobs: CronJobInfo[];
  try {
    ({ result: jobs } = await gatewayOrLocal(
      flags,
      (client, target) => client.request("cron.list", {}, { timeoutMs: target.timeoutMs }),
      () => withLocalCron((cron) => cron.list()),
      { readOnly: true },
    ));
  } catch (error) {
    fail(error);
  }
  if (flags.json) {
    printJson(jobs);
    return;
  }
  if (jobs.length === 0) console.log("No cron jobs");
  for (const job of jobs) {
    const tz = job.timezone ? ` (${job.timezone})` : "";
    console.log(`${job.id}  ${job.cron}${tz}  → ${job.agentId}: ${job.message.slice(0, 60)}`);
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
      (client, target) =>
        client.request("cron.add", params, {
          timeoutMs: target.timeoutMs,
        }),
      () => withLocalCron((cron) => cron.add(params)),
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
      async (client, target) => {
        await client.request("cron.remove", { id }, { timeoutMs: target.timeoutMs });
      },
      () => withLocalCron((cron) => cron.remove(id)),
    );
    if (flags.json) printJson({ ok: true, id });
    else console.log(`Removed ${id}`);
  } catch (error) {
    fail(error);
  }
}
