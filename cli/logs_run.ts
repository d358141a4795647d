/**
 * @module `pyclaw logs`' work. It reads the log file directly, so it works whether or not the
 * gateway runs, and follows the file across rotation (a shrinking file starts over).
 */

import { LOG_LEVELS, type LogLevel, type LogRecord, readLastLines } from "../core/logger.ts";
import { localPaths } from "./_local_state.ts";
import { dim, red, yellow } from "./_style.ts";
import { fail } from "./_output.ts";

export interface LogsFlags {
  lines: number;
  level?: LogLevel;
  follow?: boolean;
  json?: boolean;
  localTime?: boolean;
}

const encoder = new TextEncoder();

export async function showLogs(flags: LogsFlags): Promise<void> {
  const file = localPaths().logFile;
  // Ctrl-C is taken before anything is printed: whoever saw a line may stop us and get 0.
  const stop = flags.follow ? stopOnInterrupt() : undefined;
  // The tail ends where following starts, so a line written in between is printed exactly once.
  const end = await sizeOf(file);
  // Read more than asked when filtering, so the filter still leaves `lines` lines. `-n 0`
  // prints none (with --follow: only what comes next).
  let raw: string[] = [];
  if (flags.lines > 0) {
    try {
      raw = await readLastLines(
        file,
        flags.level ? Math.max(flags.lines * 20, 2_000) : flags.lines,
        end,
      );
    } catch (error) {
      fail(new Error(`Cannot read the log file ${file}: ${(error as Error).message}`));
    }
  }
  const shown = raw.filter((line) => passes(line, flags.level)).slice(-flags.lines);
  for (const line of shown) print(line, flags);
  if (!flags.follow) {
    if (raw.length === 0 && flags.lines > 0) {
      console.error(dim(`No log lines yet in ${file}`, Deno.stderr));
    }
    return;
  }
  await follow(file, flags, end, stop!);
}

/** Ctrl-C ends following (exit 0, as the README says); `stopped()` tells whether it came. */
function stopOnInterrupt(): () => boolean {
  let stopped = false;
  Deno.addSignalListener("SIGINT", () => (stopped = true));
  return () => stopped;
}

function passes(line: string, level: LogLevel | undefined): boolean {
  if (!level) return true;
  try {
    const record = JSON.parse(line) as LogRecord;
    return (LOG_LEVELS[record.level] ?? 0) >= LOG_LEVELS[level];
  } catch {
    return true; // a line that is not JSON is shown rather than hidden
  }
}

function print(line: string, flags: LogsFlags): void {
  if (flags.json) {
    Deno.stdout.writeSync(encoder.encode(line + "\n"));
    return;
  }
  let record: LogRecord;
  try {
    record = JSON.parse(line);
  } catch {
    console.log(line);
    return;
  }
  const { time, level, msg, ...fields } = record;
  const when = flags.localTime ? new Date(time).toLocaleString() : time;
  const rest = Object.entries(fields).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  const tag = String(level).toUpperCase().padEnd(5);
  const painted = level === "error" ? red(tag) : level === "warn" ? yellow(tag) : tag;
  console.log([dim(when), painted, msg, ...rest].join(" "));
}

/** Polls the file for growth; Ctrl-C ends the command with 0. */
async function follow(
  file: string,
  flags: LogsFlags,
  start: number,
  stopped: () => boolean,
): Promise<void> {
  let offset = start;
  let partial = "";
  const decoder = new TextDecoder();
  while (!stopped()) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const size = await sizeOf(file);
    if (size < offset) offset = 0; // rotated: the new file starts from the top
    if (size === offset) continue;
    const handle = await Deno.open(file, { read: true }).catch(() => undefined);
    if (!handle) continue;
    try {
      await handle.seek(offset, Deno.SeekMode.Start);
      const buffer = new Uint8Array(size - offset);
      let read = 0;
      while (read < buffer.length) {
        const n = await handle.read(buffer.subarray(read));
        if (n === null) break;
        read += n;
      }
      offset += read;
      partial += decoder.decode(buffer.subarray(0, read), { stream: true });
    } finally {
      handle.close();
    }
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line && passes(line, flags.level)) print(line, flags);
  }
  Deno.exit(0);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await Deno.stat(file)).size;
  } catch {
    return 0;
  }
}
