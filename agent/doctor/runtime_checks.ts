/**
 * @module The doctor's checks of the machine around the gateway: is this state dir's gateway
 * answering, can node-llama-cpp load its native library, and is there disk space left.
 */

import { stateDirOwner } from "../../core/state_owner.ts";
import { LocalModelStore } from "../models/model_store.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

const GIB = 1024 ** 3;
/** How long the gateway check waits for `/health`. */
const PROBE_TIMEOUT_MS = 1_500;

/**
 * The gateway of this state dir answers `/health` where its `<state>/gateway.json` says it listens
 * (the CLI's view; inside a gateway, itself). A gateway answering on the configured port for
 * another state dir is not this one, and is named as such.
 */
export async function checkGatewayReachable(input: DoctorInput): Promise<DoctorCheck> {
  const id = "gateway.reachable";
  const name = "Gateway";
  if (input.activeAuth) {
    return { id, name, status: "ok", message: "This gateway is running and answering" };
  }
  const root = input.paths.root;
  const owner = await stateDirOwner(root);
  if (owner.owned && !owner.record) {
    return { id, name, status: "ok", message: `A gateway on this state dir (${root}) is starting` };
  }
  if (owner.owned && owner.record) {
    const url = `${owner.record.url.replace(/^ws/i, "http")}/health`;
    const health = await probe(url);
    if (health === "ok") return { id, name, status: "ok", message: `A gateway answers at ${url}` };
    // `gateway run` listens before its runtime has loaded and says so meanwhile (issue 17).
    if (health === "starting") {
      return { id, name, status: "ok", message: `A gateway at ${url} is starting` };
    }
    // Its process is alive and holds the lock (stateDirOwner checked both): a slow answer is
    // more often a busy gateway or machine than a broken one.
    const gateway = `The gateway of this state dir (pid ${owner.record.pid}, running: it holds ` +
      "the state dir's lock)";
    if (health === "timeout") {
      return {
        id,
        name,
        status: "warn",
        message: `${gateway} did not answer ${url} within ${PROBE_TIMEOUT_MS / 1000} s`,
        hint: "It may be busy: run pyclaw doctor again; if it stays silent, see pyclaw logs, " +
          "then pyclaw gateway restart",
      };
    }
    return {
      id,
      name,
      status: "warn",
      message: health === "foreign"
        ? `${gateway} answers ${url}, but not as a pyclaw gateway`
        : `${gateway} refuses connections at ${url}`,
      hint: "See pyclaw logs, then restart it with pyclaw gateway restart",
    };
  }
  const hint =
    "Start it with pyclaw gateway run (or pyclaw gateway install to run it as a service)";
  const none = `No gateway runs on this state dir (${root})`;
  if (!input.config) return { id, name, status: "warn", message: none, hint };
  // Whatever answers on the configured port belongs to another state dir, and would keep this
  // one's gateway from listening there.
  const url = `http://127.0.0.1:${input.config.gateway.port}/health`;
  const other = await probe(url);
  if (other === "unreachable" || other === "timeout") {
    return { id, name, status: "warn", message: none, hint };
  }
  return {
    id,
    name,
    status: "warn",
    message: other === "foreign"
      ? `${none}; ${url} answers, but not as a pyclaw gateway`
      : `${none}; the gateway answering at ${url} uses another state dir`,
    hint:
      "Stop that one, or start this state dir's gateway on another port (pyclaw gateway run --port)",
  };
}

/** What a `/health` URL answers: `timeout` when it took longer than `PROBE_TIMEOUT_MS`. */
async function probe(
  url: string,
): Promise<"ok" | "starting" | "foreign" | "unreachable" | "timeout"> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    return isTimeout(error) ? "timeout" : "unreachable";
  }
  try {
    const body = await response.json() as { status?: string };
    return body.status === "ok" || body.status === "starting" ? body.status : "foreign";
  } catch (error) {
    await response.body?.cancel().catch(() => {});
    return isTimeout(error) ? "timeout" : "foreign";
  }
}

/** Whether a fetch ended because its `AbortSignal.timeout` ran out. */
function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

/**
 * node-llama-cpp loads its prebuilt native library. Inside a running gateway this is done only when
 * local models exist (they would load it anyway), so a doctor run never grows an idle gateway.
 */
export async function checkLocalRuntime(input: DoctorInput): Promise<DoctorCheck> {
  const id = "models.runtime";
  const name = "Local model runtime";
  if (input.activeAuth) {
    const models = await new LocalModelStore(input.paths.modelsDir).list().catch(() => []);
    if (models.length === 0) {
      return {
        id,
        name,
        status: "ok",
        message: "Not loaded: no local models (pyclaw doctor from a terminal checks it)",
      };
    }
  }
  try {
    const lib = await import("node-llama-cpp");
    const llama = await lib.getLlama({
      gpu: false,
      build: "never",
      logLevel: lib.LlamaLogLevel.error,
    });
    const message =
      `node-llama-cpp loads its ${llama.buildType} llama.cpp build (${Deno.build.os}/${Deno.build.arch})`;
    await llama.dispose();
    return { id, name, status: "ok", message };
  } catch (error) {
    return {
      id,
      name,
      status: "warn",
      message: `node-llama-cpp cannot load: ${(error as Error).message}`,
      hint:
        "Local GGUF models will not run; reinstall with npm ci (node-llama-cpp ships prebuilt binaries)",
    };
  }
}

/** Free space on the state dir's disk: a warning under 1 GiB, a failure under 100 MiB. */
export async function checkDiskSpace(input: DoctorInput): Promise<DoctorCheck> {
  const id = "disk.space";
  const name = "Disk space";
  const free = await freeBytes(input.paths.root);
  if (free === undefined) {
    return { id, name, status: "ok", message: "Not measured on this platform" };
  }
  const text = `${(free / GIB).toFixed(1)} GiB free for ${input.paths.root}`;
  if (free < 100 * 1024 ** 2) {
    return {
      id,
      name,
      status: "fail",
      message: text,
      hint: "Free some space: sessions, logs and downloads need it",
    };
  }
  if (free < GIB) {
    return { id, name, status: "warn", message: text, hint: "Model downloads need several GiB" };
  }
  return { id, name, status: "ok", message: text };
}

/** Free bytes on the file system holding `path` (its nearest existing folder), via POSIX `df`. */
async function freeBytes(path: string): Promise<number | undefined> {
  if (Deno.build.os === "windows") return undefined;
  let dir = path;
  while (!(await Deno.stat(dir).then(() => true, () => false))) {
    const parent = dir.replace(/\/[^/]*\/?$/, "") || "/";
    if (parent === dir) break;
    dir = parent;
  }
  try {
    const output = await new Deno.Command("df", {
      args: ["-Pk", dir],
      stdout: "piped",
      stderr: "null",
    }).output();
    const fields = new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)?.split(/\s+/);
    const available = Number(fields?.[3]);
    return Number.isFinite(available) ? available * 1024 : undefined;
  } catch {
    return undefined;
  }
}
