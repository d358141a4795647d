/**
 * @module How `desktop_screenshot` captures a screen on each platform: a plan of commands for
 * the platform and display found in the environment, tried in order until one is installed.
 */

import { join } from "../core/path.ts";

/** The environment a capture reads: display variables, PATH, HOME. */
export type CaptureEnv = Record<string, string | undefined>;

/** One way to capture: a program and how its PNG comes back. */
interface Attempt {
  program: string;
  /** Arguments; `out` is a temporary file for programs that cannot write to stdout. */
  args(out: string, env: CaptureEnv, signal: AbortSignal): Promise<string[]> | string[];
  output: "stdout" | "file";
  /** stderr that means it failed even though it keeps running (ImageMagick waits forever). */
  fatal?: RegExp;
}

/** The commands for this platform and display, and a hint for when none is installed. */
export interface CapturePlan {
  backend: string;
  attempts: Attempt[];
  missingHint: string;
  /** The one window asked for, if any. */
  window?: string;
  /** The path of the first installed program, if any. */
  available(): Promise<string | undefined>;
}

const TIMEOUT_MS = 20_000;

/**
 * Picks the capture commands.
 *
 * @throws {Error} when there is no display, or one window is asked for where that is unsupported
 */
export function planCapture(
  os: typeof Deno.build.os,
  env: CaptureEnv,
  window: string | undefined,
): CapturePlan {
  const plan = (backend: string, attempts: Attempt[], missingHint: string): CapturePlan => ({
    backend,
    attempts,
    missingHint,
    window,
    available: async () => {
      for (const attempt of attempts) {
        const found = await findExecutable(attempt.program, env);
        if (found) return found;
      }
      return undefined;
    },
  });
  if (os === "darwin") {
    return plan("macOS screencapture", [{
      program: "screencapture",
      output: "file",
      args: async (out, env, signal) =>
        window === undefined
          ? ["-x", "-t", "png", out]
          : ["-x", "-o", "-t", "png", "-l", await macWindowId(window, env, signal), out],
    }], "screencapture ships with macOS; check that /usr/sbin is on PATH");
  }
  if (os === "windows") {
    if (window !== undefined) {
      throw new Error("One-window screenshots are not supported on Windows");
    }
    return plan("Windows PowerShell", [{
      program: "powershell.exe",
      output: "file",
      args: (out) => ["-NoProfile", "-NonInteractive", "-Command", windowsScript(out)],
    }], "PowerShell ships with Windows");
  }
  if (env.WAYLAND_DISPLAY) {
    if (window !== undefined) {
      throw new Error("One-window screenshots are not supported on Wayland; omit window");
    }
    return plan(
      "Wayland grim",
      [{ program: "grim", output: "stdout", args: () => ["-"] }],
      "install grim",
    );
  }
  if (env.DISPLAY) {
    const target = window ?? "root";
    return plan(`X11 ImageMagick import (DISPLAY=${env.DISPLAY})`, [{
      program: "import",
      output: "stdout",
      args: () => ["-silent", "-window", target, "png:-"],
      fatal: /no window with specified ID exists[^\n]*/,
    }], "install ImageMagick (Debian: apt-get install imagemagick)");
  }
  throw new Error(
    "No display to capture: neither DISPLAY nor WAYLAND_DISPLAY is set in the gateway's " +
      "environment (start the gateway inside a desktop session, or set DISPLAY)",
  );
}

/** Runs the plan's first installed command and returns its PNG. */
export async function captureScreen(
  plan: CapturePlan,
  env: CaptureEnv,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const limit = AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]);
  for (const attempt of plan.attempts) {
    const program = await findExecutable(attempt.program, env);
    if (!program) continue;
    const out = join(await Deno.makeTempDir({ prefix: "pyclaw-shot-" }), "screen.png");
    try {
      const args = await attempt.args(out, env, limit);
      const result = await runCapture(program, args, env, limit, attempt.fatal);
      signal.throwIfAborted();
      if (result.fatal) {
        throw new Error(`Window not found: ${JSON.stringify(plan.window)} (${result.fatal})`);
      }
      if (limit.aborted) throw new Error(`${attempt.program} took longer than ${TIMEOUT_MS} ms`);
      const stderr = result.stderr;
      if (!result.success) {
        throw new Error(`${plan.backend} failed (exit ${result.code}): ${stderr || "no message"}`);
      }
      const png = attempt.output === "stdout"
        ? result.stdout
        : await Deno.readFile(out).catch(() => new Uint8Array());
      if (png.length === 0) {
        throw new Error(
          `${plan.backend} produced no image${stderr ? `: ${stderr}` : ""}` +
            (Deno.build.os === "darwin"
              ? " (allow Screen Recording for this program in System Settings \u203a Privacy)"
              : ""),
        );
      }
      return png;
    } finally {
      await Deno.remove(join(out, ".."), { recursive: true }).catch(() => {});
    }
  }
  throw new Error(`No screenshot program found for ${plan.backend}: ${plan.missingHint}`);
}

/** Runs one capture program, stopping it early when its stderr shows a `fatal` message. */
async function runCapture(
  program: string,
  args: string[],
  env: CaptureEnv,
  signal: AbortSignal,
  fatal: RegExp | undefined,
): Promise<{ success: boolean; code: number; stdout: Uint8Array; stderr: string; fatal?: string }> {
  const child = new Deno.Command(program, {
    args,
    env: childEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  let stderr = "";
  let fatalText: string | undefined;
  const readErr = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      const hit = fatal && !fatalText ? stderr.match(fatal) : null;
      if (hit) {
        fatalText = hit[0].trim();
        try {
          child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      }
    }
  })();
  const stdout = new Uint8Array(await new Response(child.stdout).arrayBuffer());
  const [status] = await Promise.all([child.status, readErr]);
  return {
    success: status.success,
    code: status.code,
    stdout,
    stderr: stderr.trim(),
    fatal: fatalText,
  };
}

/** The child's environment: the display variables and little else. */
function childEnv(env: CaptureEnv): Record<string, string> {
  const keep = [
    "PATH",
    "HOME",
    "DISPLAY",
    "XAUTHORITY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    "SYSTEMROOT",
    "WINDIR",
    "TEMP",
    "TMP",
    "USERPROFILE",
  ];
  const out: Record<string, string> = {};
  for (const key of keep) if (env[key]) out[key] = env[key]!;
  out.PATH ??= "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  return out;
}

/** Finds `name` on the environment's PATH (or the usual system folders when PATH is unset). */
export async function findExecutable(name: string, env: CaptureEnv): Promise<string | undefined> {
  const windows = Deno.build.os === "windows";
  const dirs = (env.PATH ?? env.Path ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    .split(windows ? ";" : ":").filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    const info = await Deno.stat(candidate).catch(() => undefined);
    if (info?.isFile && (windows || ((info.mode ?? 0) & 0o111) !== 0)) return candidate;
  }
  return undefined;
}

/** A macOS window id: the number given, or the first window whose title or owner matches. */
async function macWindowId(window: string, env: CaptureEnv, signal: AbortSignal): Promise<string> {
  if (/^\d+$/.test(window)) return window;
  // JXA can read CGWindowListCopyWindowInfo, which has the ids screencapture -l wants.
  const script = `ObjC.import("CoreGraphics");
const list = ObjC.deepUnwrap($.CGWindowListCopyWindowInfo($.kCGWindowListOptionOnScreenOnly, 0));
const want = ${JSON.stringify(window.toLowerCase())};
const hit = list.find((w) => w.kCGWindowLayer === 0 &&
  ((w.kCGWindowName || "").toLowerCase().includes(want) ||
   (w.kCGWindowOwnerName || "").toLowerCase().includes(want)));
hit ? String(hit.kCGWindowNumber) : "";`;
  const result = await new Deno.Command("osascript", {
    args: ["-l", "JavaScript", "-e", script],
    env: childEnv(env),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal,
  }).output();
  const id = new TextDecoder().decode(result.stdout).trim();
  if (!result.success || !/^\d+$/.test(id)) {
    throw new Error(
      `Window not found: ${JSON.stringify(window)} (no on-screen window has that ` +
        "title or app name)",
    );
  }
  return id;
}

function windowsScript(out: string): string {
  const path = out.replace(/'/g, "''");
  return [
    "$ErrorActionPreference = 'Stop'",
    "Add-Type -AssemblyName System.Windows.Forms, System.Drawing",
    "$b = [System.Windows.Forms.SystemInformation]::VirtualScreen",
    "$bmp = New-Object System.Drawing.Bitmap $b.Width, $b.Height",
    "$g = [System.Drawing.Graphics]::FromImage($bmp)",
    "$g.CopyFromScreen($b.Left, $b.Top, 0, 0, $bmp.Size)",
    `$bmp.Save('${path}', [System.Drawing.Imaging.ImageFormat]::Png)`,
    "$g.Dispose(); $bmp.Dispose()",
  ].join("; ");
}
