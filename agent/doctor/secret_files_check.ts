/**
 * @module The doctor's check of who else can read the gateway's secrets: the token file, a
 * config file that holds a secret itself (not a `${VAR}` reference), and the state dir.
 */

import { parseConfigText } from "../../core/config/load.ts";
import { secretValues } from "../../core/config/secrets.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

/** Permission bits of `path`, or undefined when it is missing or the platform has none. */
async function permissions(path: string): Promise<number | undefined> {
  try {
    const mode = (await Deno.stat(path)).mode;
    return mode === null ? undefined : mode & 0o777;
  } catch {
    return undefined;
  }
}

/** Whether a config document holds a secret's value itself, rather than a `${VAR}` to it. */
export function holdsSecret(data: unknown): boolean {
  return secretValues(data).some(isLiteral);
}

function isLiteral(value: string): boolean {
  return value !== "" && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value.trim());
}

const octal = (mode: number) => `0${mode.toString(8)}`;

export async function checkSecretFiles(input: DoctorInput): Promise<DoctorCheck> {
  const id = "files.permissions";
  const name = "Secret file permissions";
  if (Deno.build.os === "windows") {
    return { id, name, status: "ok", message: "Not checked on Windows (no file modes)" };
  }
  const loose: { path: string; mode: number; fix: string }[] = [];
  const tokenMode = await permissions(input.paths.tokenFile);
  if (tokenMode !== undefined && tokenMode & 0o077) {
    loose.push({ path: input.paths.tokenFile, mode: tokenMode, fix: "600" });
  }
  const configMode = await permissions(input.configPath);
  if (configMode !== undefined && configMode & 0o077) {
    let secret = false;
    try {
      secret = holdsSecret(parseConfigText(await Deno.readTextFile(input.configPath)));
    } catch {
      // An unreadable or invalid config is the config check's to report.
    }
    if (secret) loose.push({ path: input.configPath, mode: configMode, fix: "600" });
  }
  const dirMode = await permissions(input.paths.root);
  if (dirMode !== undefined && dirMode & 0o077) {
    loose.push({ path: input.paths.root, mode: dirMode, fix: "700" });
  }
  if (loose.length === 0) {
    return { id, name, status: "ok", message: "The token, config and state dir are private" };
  }
  return {
    id,
    name,
    status: "warn",
    message: "Others on this machine can read: " +
      loose.map((file) => `${file.path} (${octal(file.mode)})`).join(", "),
    hint: loose.map((file) => `chmod ${file.fix} '${file.path}'`).join("; "),
  };
}
