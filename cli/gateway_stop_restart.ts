/**
 * @module `pyclaw gateway stop | restart`: the service through its manager, or a gateway started
 * by hand through the state dir's record (its pid) and, for a restart, started again in the
 * background. Apart from gateway_service.ts, which writes and reads the service's unit.
 */

import { configPath, stateDir } from "../core/paths.ts";
import { fail, printJson } from "./_output.ts";
import { type GatewayRecord, processAlive, stateDirOwner } from "../core/state_owner.ts";
import { pidFile, runningRecord } from "./_gateway_pid.ts";
import { managerSteps, runSteps } from "./_service_manager.ts";
import { healthOf, startInBackground } from "./_gateway_background.ts";
import {
  gatewayCommand,
  type ServiceFlags,
  type ServiceStatus,
  serviceStatus,
} from "./gateway_service.ts";

/** How long `stop` waits for a gateway that is still starting (loading after it listens). */
const START_WAIT_MS = 15_000;

/** Stops the service, or the gateway recorded in the pid file. */
export async function serviceStop(flags: ServiceFlags): Promise<void> {
  const result = await stopGateway(flags);
  if (flags.json) printJson(result);
  else console.log(result.message);
}

/** Flags of `gateway restart`. */
export interface RestartFlags extends ServiceFlags {
  /** The secret to start the gateway with; a gateway started with `--auth-token` needs it. */
  authToken?: string;
}

/**
 * Stops the service or the recorded gateway; `check` sees that gateway's record before it is
 * stopped, and may refuse (exit) while it still runs.
 */
async function stopGateway(
  flags: ServiceFlags,
  check: (record: GatewayRecord) => void = () => {},
): Promise<{ stopped: boolean; via: string; message: string }> {
  const status = await serviceStatus(flags);
  if (status.installed && status.active) {
    try {
      await runSteps(managerSteps(status.manager, "stop", status.unitFile));
    } catch (error) {
      fail(error);
    }
    return { stopped: true, via: status.manager, message: `Stopped the ${status.manager} service` };
  }
  const root = stateDir();
  const record = await runningRecord(root, {
    waitMs: START_WAIT_MS,
    onWait: () => console.error("A gateway is starting on this state dir: waiting to stop it"),
  });
  if (!record) {
    if ((await stateDirOwner(root)).owned) {
      fail(
        new Error(
          `A gateway is starting on this state dir and was not ready within ${
            START_WAIT_MS / 1000
          } s; see \`pyclaw logs\``,
        ),
      );
    }
    return {
      stopped: false,
      via: "none",
      message: `No gateway is running (no live pid in ${pidFile(root)})`,
    };
  }
  check(record);
  const { pid } = record;
  try {
    // Windows has no SIGTERM for another process; the gateway keeps its files consistent anyway.
    Deno.kill(pid, Deno.build.os === "windows" ? "SIGKILL" : "SIGTERM");
  } catch {
    return { stopped: false, via: "none", message: `No gateway is running (stale pid ${pid})` };
  }
  if (Deno.build.os === "windows") {
    return { stopped: true, via: "pid", message: `Stopped the gateway (pid ${pid})` };
  }
  const deadline = Date.now() + 10_000;
  while (processAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (processAlive(pid)) fail(new Error(`Gateway (pid ${pid}) did not stop within 10 s`));
  return { stopped: true, via: "pid", message: `Stopped the gateway (pid ${pid})` };
}

/** How `gateway restart` goes about it. */
export type RestartPlan =
  /** Through the service manager; `wasRunning`: a restart, else a start of the stopped service. */
  | { via: "service"; wasRunning: boolean }
  /** Stop the hand-started gateway of the state dir, if any, and start one in the background. */
  | { via: "pid" };

/**
 * Decides from the service's state before the restart: an installed service the manager can be
 * asked about is restarted (or started, when stopped), unless it is stopped while a gateway started
 * by hand owns the state dir, which the service could not then take (that one is restarted, as
 * `stop` stops it).
 */
export function restartPlan(
  status: Pick<ServiceStatus, "installed" | "active" | "pid">,
): RestartPlan {
  if (!status.installed || status.active === null) return { via: "pid" };
  if (!status.active && status.pid !== undefined) return { via: "pid" };
  return { via: "service", wasRunning: status.active };
}

/** Restarts the service, or stops the hand-started gateway and starts it in the background. */
export async function serviceRestart(flags: RestartFlags): Promise<void> {
  const status = await serviceStatus(flags);
  const plan = restartPlan(status);
  if (plan.via === "service") {
    if (flags.authToken !== undefined) {
      fail(
        new Error(
          `--auth-token applies to a gateway started by hand; the ${status.manager} service ` +
            "starts with its own settings",
        ),
      );
    }
    try {
      await runSteps(managerSteps(status.manager, "restart", status.unitFile));
    } catch (error) {
      fail(error);
    }
    // Like `systemctl restart`, the manager starts a stopped service; the answer says which.
    const done = plan.wasRunning ? "Restarted" : "Started";
    // The manager's restart returns once it has launched the process, ready or not.
    const record = await waitForNewGateway(status.pid, START_WAIT_MS);
    if (!record) {
      fail(
        new Error(
          `${done} the ${status.manager} service, but no new gateway answered within ${
            START_WAIT_MS / 1000
          } s; see \`pyclaw logs\``,
        ),
      );
    }
    if (flags.json) {
      printJson({
        restarted: plan.wasRunning,
        started: true,
        via: status.manager,
        pid: record.pid,
        wasRunning: plan.wasRunning,
      });
    } else console.log(`${done} the ${status.manager} service (pid ${record.pid}, ${record.url})`);
    return;
  }
  let again = relaunch(undefined, flags.authToken);
  const stopped = await stopGateway(flags, (record) => {
    try {
      again = relaunch(record, flags.authToken);
    } catch (error) {
      fail(error);
    }
  });
  const started = await startInBackground(
    [...gatewayCommand(), ...again.args],
    START_WAIT_MS,
    again.env,
  );
  if (!started.ready) fail(new Error(started.reason));
  // Like `systemctl restart`, a stopped gateway is started; the answer says which it was.
  const result = {
    restarted: stopped.stopped,
    started: true,
    via: "pid",
    pid: started.pid,
    wasRunning: stopped.stopped,
  };
  if (flags.json) printJson(result);
  else {
    console.log(
      `${
        stopped.stopped ? "Restarted" : "Started"
      } the gateway in the background (pid ${started.pid}, ${started.url})`,
    );
  }
}

/**
 * How to start the gateway `record` describes again as it was started: with the `--port` and
 * `--bind` it was given (a port or bind from the config is not repeated, so it follows the
 * config as it is now) and on its own config file, whatever this shell's PYCLAW_CONFIG_PATH.
 *
 * @throws {Error} when it was given `--auth-token` and `authToken` is not: the secret is not
 *   written down, and a gateway started without it would turn its clients away
 */
function relaunch(
  record: GatewayRecord | undefined,
  authToken: string | undefined,
): { args: string[]; env: Record<string, string> } {
  const args: string[] = [];
  const env: Record<string, string> = {};
  const flags = record?.flags ?? {};
  if (Number.isInteger(flags.port)) args.push("--port", String(flags.port));
  if (typeof flags.bind === "string") args.push("--bind", flags.bind);
  if (authToken !== undefined) args.push("--auth-token", authToken);
  else if (flags.authToken === true) {
    throw new Error(
      `The gateway (pid ${record!.pid}) was started with --auth-token, which is not kept: ` +
        "give it again (pyclaw gateway restart --auth-token <token>)",
    );
  }
  if (record?.configPath && record.configPath !== configPath()) {
    env.PYCLAW_CONFIG_PATH = record.configPath;
  }
  return { args, env };
}

/**
 * Waits until the state dir records a gateway other than `previous` (the one the service ran
 * before) and its `/health` says `ok`; its record, or undefined when none did within `timeoutMs`.
 */
async function waitForNewGateway(
  previous: number | undefined,
  timeoutMs: number,
): Promise<GatewayRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const owner = await stateDirOwner(stateDir());
    const record = owner.owned ? owner.record : undefined;
    if (record && record.pid !== previous && await healthOf(record.url, 1_000) === "ok") {
      return record;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}
