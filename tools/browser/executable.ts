/**
 * @module Finds the installed Chromium-family browser that pyclaw drives, and reads its version.
 * Playwright never downloads a browser for us: the one used is always an installed one.
 */

import { join } from "../../core/path.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";

/** The environment variable that names a browser executable. */
export const BROWSER_PATH_ENV = "PYCLAW_BROWSER_PATH";

/** Where an executable was found. */
export type ExecutableSource = "config" | "env" | "system";

/** A browser executable that exists. */
export interface BrowserExecutable {
  path: string;
  source: ExecutableSource;
}

/** Options for {@linkcode findBrowserExecutable}. */
export interface FindExecutableOptions {
  /** `browser.executablePath` from the config. */
  configured?: string;
  /** The environment (PYCLAW_BROWSER_PATH, PATH, and the Windows folders). */
  env: Record<string, string | undefined>;
  /** @default Deno.build.os */
  os?: typeof Deno.build.os;
}

/** What to tell a user who has no browser. */
export const INSTALL_ADVICE = "Install Chromium or Google Chrome (Debian/Ubuntu: " +
  "`sudo apt-get install chromium`; Fedora: `sudo dnf install chromium`; macOS: " +
  "`brew install --cask chromium` or Google Chrome; Windows: Google Chrome or Microsoft Edge), " +
  `or point browser.executablePath or ${BROWSER_PATH_ENV} at one`;

/** The usual install locations of Chromium-family browsers, most preferred first. */
export function systemCandidates(
  os: typeof Deno.build.os,
  env: Record<string, string | undefined>,
): string[] {
  if (os === "darwin") {
    const apps = [
      "Google Chrome.app/Contents/MacOS/Google Chrome",
      "Chromium.app/Contents/MacOS/Chromium",
      "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
      "Brave Browser.app/Contents/MacOS/Brave Browser",
    ];
    const roots = ["/Applications", ...(env.HOME ? [join(env.HOME, "Applications")] : [])];
    return roots.flatMap((root) => apps.map((app) => join(root, app)));
  }
  if (os === "windows") {
    const roots = [env.PROGRAMFILES, env["PROGRAMFILES(X86)"], env.LOCALAPPDATA]
      .filter((root): root is string => Boolean(root));
    const exes = [
      "Google\\Chrome\\Application\\chrome.exe",
      "Chromium\\Application\\chrome.exe",
      "Microsoft\\Edge\\Application\\msedge.exe",
    ];
    return roots.flatMap((root) => exes.map((exe) => `${root}\\${exe}`));
  }
  const names = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
  ];
  const fixed = [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium",
    "/opt/google/chrome/chrome",
    "/usr/bin/microsoft-edge",
  ];
  const onPath = (env.PATH ?? "").split(":").filter(Boolean)
    .flatMap((dir) => names.map((name) => join(dir, name)));
  return [...new Set([...fixed, ...onPath])];
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return false;
    return info.mode === null || (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Finds the browser: the configured path, then {@linkcode BROWSER_PATH_ENV}, then the usual
 * install locations. A configured or named path that does not exist is an error of its own
 * rather than a silent fall-back, so a typo is noticed.
 *
 * @throws {GatewayError} NOT_FOUND with install advice when there is no usable browser
 */
export async function findBrowserExecutable(
  options: FindExecutableOptions,
): Promise<BrowserExecutable> {
  const named: [string | undefined, ExecutableSource, string][] = [
    [options.configured, "config", "browser.executablePath"],
    [options.env[BROWSER_PATH_ENV], "env", BROWSER_PATH_ENV],
  ];
  for (const [path, source, label] of named) {
    if (!path?.trim()) continue;
    if (await isExecutableFile(path.trim())) return { path: path.trim(), source };
    throw new GatewayError(
      ErrorCode.NOT_FOUND,
      `Browser executable from ${label} not found or not executable: ${path}`,
      { reason: "browser_not_found" },
    );
  }
  for (const path of systemCandidates(options.os ?? Deno.build.os, options.env)) {
    if (await isExecutableFile(path)) return { path, source: "system" };
  }
  throw new GatewayError(
    ErrorCode.NOT_FOUND,
    `No Chromium-based browser found. ${INSTALL_ADVICE}`,
    { reason: "browser_not_found" },
  );
}

/** The browser's version line (`Chromium 156.0...`), or undefined when it does not say. */
export async function readBrowserVersion(path: string, timeoutMs = 10_000): Promise<
  string | undefined
> {
  try {
    const output = await new Deno.Command(path, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    const line = new TextDecoder().decode(output.stdout).trim().split("\n")[0]?.trim();
    return output.success && line ? line : undefined;
  } catch {
    return undefined;
  }
}
