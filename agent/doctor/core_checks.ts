/** @module The doctor's checks of the foundation: config, state dir, and auth for the bind. */

import { join } from "../../core/path.ts";
import { isLoopbackHost, isValidBind, readTokenFile } from "../../core/gateway_token.ts";
import { UNKNOWN_KEY } from "../../core/config/config_text.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

export async function checkConfig(input: DoctorInput): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  if (input.configIssues?.length) {
    checks.push({
      id: "config.valid",
      name: "Config file",
      status: "fail",
      message: `${input.configPath} is invalid: ` +
        input.configIssues.map((i) => `${i.path || "<root>"}: ${i.message}`).join("; "),
      // A syntax or read error names no key (its path is the root): name what to fix instead.
      hint: input.configIssues.some((issue) => issue.path)
        ? "Fix the keys named above; the gateway will not start until then"
        : "Fix the file itself (its syntax, or what keeps it from being read, as said above); " +
          "the gateway will not start until then",
    });
  } else if (!(await fileExists(input.configPath))) {
    // Nothing was validated: "is valid" would tell a new user their file was found and read.
    checks.push({
      id: "config.valid",
      name: "Config file",
      status: "ok",
      message: `${input.configPath} does not exist: the defaults are in use`,
      hint: "Run `pyclaw setup` to create it",
    });
  } else {
    checks.push({
      id: "config.valid",
      name: "Config file",
      status: "ok",
      message: `${input.configPath} is valid`,
    });
  }
  const unknown = input.configWarnings?.filter((w) => w.message === UNKNOWN_KEY) ?? [];
  if (unknown.length) {
    checks.push({
      id: "config.unknownKeys",
      name: "Unknown config keys",
      status: "warn",
      message: `Ignored: ${unknown.map((w) => w.path).join(", ")}`,
      hint: "Check these keys for typos",
    });
  }
  const other = input.configWarnings?.filter((w) => w.message !== UNKNOWN_KEY) ?? [];
  if (other.length) {
    checks.push({
      id: "config.warnings",
      name: "Config warnings",
      status: "warn",
      message: other.map((w) => `${w.path}: ${w.message}`).join("; "),
      hint: "Fix these keys; a config edit (config set/patch) cannot add more of them",
    });
  }
  // A bind that is no address stops `gateway run` (unless --bind replaces it), yet the config
  // loads: every config command keeps working to fix it.
  const bind = input.config?.gateway.bind;
  if (bind !== undefined && input.overrides?.bind === undefined && !isValidBind(bind)) {
    checks.push({
      id: "gateway.bind",
      name: "Gateway bind",
      status: "fail",
      message: `gateway.bind ${JSON.stringify(bind)} is not an address the gateway can listen on`,
      hint: "Set it to loopback, lan, or an IP address (pyclaw config set gateway.bind " +
        "loopback), or start with --bind; the gateway will not start on it until then",
    });
  }
  return checks;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}

export async function checkStateDir(input: DoctorInput): Promise<DoctorCheck> {
  const dir = input.paths.root;
  const probe = join(dir, `.doctor-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(probe, "ok");
    await Deno.remove(probe);
    return {
      id: "state.writable",
      name: "State directory",
      status: "ok",
      message: `${dir} is writable`,
    };
  } catch (error) {
    return {
      id: "state.writable",
      name: "State directory",
      status: "fail",
      message: `${dir} is not writable: ${(error as Error).message}`,
      hint: "Fix its permissions, or point PYCLAW_STATE_DIR at a writable folder",
    };
  }
}

export async function checkAuth(input: DoctorInput): Promise<DoctorCheck> {
  const name = "Gateway auth";
  const id = "gateway.auth";
  if (!input.config) {
    return { id, name, status: "warn", message: "Not checked: the config could not be loaded" };
  }
  const bind = input.overrides?.bind ?? input.config.gateway.bind;
  const loopback = isLoopbackHost(bind);
  const auth = input.config.gateway.auth;
  if (input.activeAuth?.mode === "token" && input.activeAuth.source) {
    return {
      id,
      name,
      status: "ok",
      message: `Token auth is active (token from ${input.activeAuth.source}, bind ${bind})`,
    };
  }
  if (auth.mode === "none") {
    return loopback
      ? {
        id,
        name,
        status: "warn",
        message: "Auth is off (loopback only): any local program can use the gateway",
      }
      : {
        id,
        name,
        status: "fail",
        message: `Auth is off but the gateway binds ${bind}`,
        hint: 'Set gateway.auth.mode to "token" and a token, or bind loopback',
      };
  }
  if (auth.mode === "password") {
    const set = Boolean(input.env.PYCLAW_AUTH_PASSWORD || auth.password);
    return set ? { id, name, status: "ok", message: "Password auth is configured" } : {
      id,
      name,
      status: "fail",
      message: "Password auth without a password",
      hint: "Set gateway.auth.password",
    };
  }
  if (input.overrides?.authToken) {
    return {
      id,
      name,
      status: "ok",
      message: `Token auth is configured (the gateway's --auth-token, bind ${bind})`,
    };
  }
  const explicit = input.env.PYCLAW_AUTH_TOKEN || auth.token;
  if (explicit) {
    if (explicit.length < 16) {
      return {
        id,
        name,
        status: "warn",
        message: "The auth token is short (under 16 characters)",
        hint: "Use a long random token",
      };
    }
    return { id, name, status: "ok", message: `Token auth is configured (bind ${bind})` };
  }
  if (!loopback) {
    return {
      id,
      name,
      status: "fail",
      message: `The gateway binds ${bind} but no auth token is set; it will refuse to start`,
      hint: "Set PYCLAW_AUTH_TOKEN or gateway.auth.token",
    };
  }
  const fileToken = await readTokenFile(input.paths.tokenFile);
  return {
    id,
    name,
    status: "ok",
    message: fileToken
      ? `Token auth with the generated token in ${input.paths.tokenFile}`
      : `Loopback bind: a token will be generated into ${input.paths.tokenFile} at first start`,
  };
}
