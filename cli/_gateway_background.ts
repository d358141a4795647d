/**
 * @module How `gateway restart` starts a gateway in the background and knows that it started:
 * by that very process's ready line and its answer to `/health`, not by whatever answers on the
 * configured port (another state dir's gateway there would answer for one that exited). A
 * gateway that exits first is reported with its code and what it printed on stderr; one that
 * is slow is left running and reported as not ready.
 */

/** What became of a gateway started in the background. */
export type BackgroundStart =
  | { ready: true; pid: number; url: string }
  | { ready: false; pid: number; reason: string };

/** The gateway's ready line (cli/gateway_serve.ts), with its WebSocket URL. */
const READY_LINE = /pyclaw gateway ready: (ws:\/\/[^,\s]+)/;

/** Most characters of the gateway's stderr kept for the report. */
const STDERR_KEPT = 4_000;

/**
 * Runs `command` (a `gateway run`) detached from this process's life, with this process's
 * environment and `env` over it, and waits up to `timeoutMs` for its ready line and then for
 * its `/health` to say `ok`.
 */
export async function startInBackground(
  command: string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<BackgroundStart> {
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { ...Deno.env.toObject(), ...env },
  }).spawn();
  const { pid } = child;
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  const stderrRead = (async () => {
    for (let chunk = await stderr.read(); !chunk.done; chunk = await stderr.read()) {
      said = (said + chunk.value).slice(-STDERR_KEPT);
    }
  })().catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const outcome = await Promise.race([
      readyUrl(stdout).then((url) => ({ url })),
      child.status.then((status) => ({ code: status.code })),
      new Promise<{ timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
      }),
    ]);
    if ("code" in outcome) {
      await stderrRead; // the pipe ends with the process
      return { ready: false, pid, reason: exitedReason(pid, outcome.code, said) };
    }
    if ("timedOut" in outcome) {
      return {
        ready: false,
        pid,
        reason: `Started a gateway (pid ${pid}) but it was not ready within ${
          timeoutMs / 1000
        } s; see \`pyclaw logs\``,
      };
    }
    const health = await healthOf(outcome.url);
    if (health !== "ok") {
      return {
        ready: false,
        pid,
        reason: `The gateway (pid ${pid}) said it was ready on ${outcome.url}, but its /health ` +
          `answered ${health}; see \`pyclaw logs\``,
      };
    }
    return { ready: true, pid, url: outcome.url };
  } finally {
    clearTimeout(timer);
    // The gateway outlives this command: its later console output goes nowhere, as a service's
    // would without a log file (Deno drops writes to a closed pipe).
    await stdout.cancel().catch(() => {});
    await stderr.cancel().catch(() => {});
    child.unref();
  }
}

/** The URL of the ready line; rejects when the output ends without one. */
async function readyUrl(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  for (;;) {
    const url = text.match(READY_LINE)?.[1];
    if (url) return url;
    const { value, done } = await reader.read();
    // The exit that closed the output is reported by the race's other side.
    if (done) return await new Promise<never>(() => {});
    text = (text + value).slice(-STDERR_KEPT);
  }
}

/**
 * `/health`'s status at a gateway's WebSocket address (a ready line's or a state dir record's),
 * or why there was none.
 */
export async function healthOf(wsUrl: string, timeoutMs = 5_000): Promise<string> {
  const url = `${wsUrl.replace(/^ws/, "http").replace(/\/+$/, "")}/health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.json().catch(() => undefined);
    return body?.status ?? `HTTP ${response.status}`;
  } catch (error) {
    return `nothing (${(error as Error).message})`;
  }
}

/** Says that the gateway exited, with what it printed to say why. */
function exitedReason(pid: number, code: number, stderr: string): string {
  const lines = stderr.trim().split("\n").filter(Boolean).map((line) =>
    `  ${line.replace(/^Error: /, "")}`
  );
  return `The gateway it started (pid ${pid}) exited with code ${code} before it was ready` +
    (lines.length ? `:\n${lines.join("\n")}` : "; see `pyclaw logs`");
}
