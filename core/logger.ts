/**
 * @module The logger: JSON lines in a size-rotated file under the state dir, and readable
 * lines on the console. Secret-named fields are redacted before anything is written.
 */

import { dirname } from "./path.ts";
import { redactSecrets } from "./config/secrets.ts";
import { isoTime } from "./iso_time.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type ConsoleLevel = LogLevel | "silent";

export const LOG_LEVELS: Record<ConsoleLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

/** One line of the log file. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  /** JSON-lines file; none when absent. */
  file?: string;
  /** Lowest level written to the file. @default "info" */
  level?: LogLevel;
  /** Lowest level printed to stderr. @default "info" */
  consoleLevel?: ConsoleLevel;
  /**
   * Never print to stderr, whatever a later {@linkcode Logger.configure} says: the CLI's
   * in-process gateway, whose config reloads must not turn the gateway's console lines on
   * under a command's own output. @default false
   */
  fileOnly?: boolean;
  /** Rotate the file when it grows past this. @default 10 MiB */
  maxFileBytes?: number;
  /** Rotated files kept (`.1` ... `.N`). @default 3 */
  maxFiles?: number;
  /**
   * Whether this process may rotate the file when it is full, asked then (a CLI run must not
   * rename the log under a live gateway); once false, the file only grows. @default true
   */
  rotate?: boolean | (() => boolean);
}

/** A structured logger. Child loggers share the file and add fixed fields. */
export class Logger {
  #sink: LogSink;
  #fields: Record<string, unknown>;

  constructor(options: LoggerOptions = {}, sink?: LogSink, fields: Record<string, unknown> = {}) {
    this.#sink = sink ?? new LogSink(options);
    this.#fields = fields;
  }

  /** The log file's path, if there is one. */
  get file(): string | undefined {
    return this.#sink.file;
  }

  /** A logger that adds `fields` to every record. */
  child(fields: Record<string, unknown>): Logger {
    return new Logger({}, this.#sink, { ...this.#fields, ...fields });
  }

  /** Changes levels in place (config reloads). */
  configure(options: Pick<LoggerOptions, "level" | "consoleLevel" | "maxFileBytes" | "maxFiles">) {
    this.#sink.configure(options);
  }

  debug(msg: string, fields?: Record<string, unknown>) {
    this.#sink.write("debug", msg, this.#fields, fields);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.#sink.write("info", msg, this.#fields, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.#sink.write("warn", msg, this.#fields, fields);
  }
  error(msg: string, fields?: Record<string, unknown>) {
    this.#sink.write("error", msg, this.#fields, fields);
  }

  close() {
    this.#sink.close();
  }
}

class LogSink {
  readonly file?: string;
  #level = LOG_LEVELS.info;
  #consoleLevel = LOG_LEVELS.info;
  #maxFileBytes = 10 * 1024 * 1024;
  #maxFiles = 3;
  #handle: Deno.FsFile | undefined;
  #size = 0;
  #mayRotate: boolean | (() => boolean);
  #encoder = new TextEncoder();

  #fileOnly: boolean;

  constructor(options: LoggerOptions) {
    this.file = options.file;
    this.#mayRotate = options.rotate ?? true;
    this.#fileOnly = options.fileOnly ?? false;
    if (this.#fileOnly) this.#consoleLevel = LOG_LEVELS.silent;
    this.configure(options);
  }

  configure(options: LoggerOptions) {
    if (options.level) this.#level = LOG_LEVELS[options.level];
    if (options.consoleLevel && !this.#fileOnly) {
      this.#consoleLevel = LOG_LEVELS[options.consoleLevel];
    }
    if (options.maxFileBytes) this.#maxFileBytes = options.maxFileBytes;
    if (options.maxFiles) this.#maxFiles = options.maxFiles;
  }

  write(
    level: LogLevel,
    msg: string,
    base: Record<string, unknown>,
    fields: Record<string, unknown> | undefined,
  ) {
    const rank = LOG_LEVELS[level];
    if (rank < this.#level && rank < this.#consoleLevel) return;
    // Errors become plain data first: redaction copies own enumerable properties only, and an
    // Error's name, message and stack are not, so redacting first logged `error={}`.
    const extra = fields ? redactSecrets(serializeErrors({ ...base, ...fields })) as object : base;
    const record: LogRecord = { time: isoTime(), level, msg, ...extra };
    if (rank >= this.#consoleLevel) console.error(formatForConsole(record));
    if (rank >= this.#level && this.file) this.#append(JSON.stringify(record) + "\n");
  }

  close() {
    this.#handle?.close();
    this.#handle = undefined;
  }

  #append(line: string) {
    try {
      if (!this.#handle) this.#open();
      const bytes = this.#encoder.encode(line);
      if (this.#size + bytes.length > this.#maxFileBytes && this.#size > 0 && this.#rotates()) {
        this.#rotate();
      }
      // Synchronous appends keep lines whole and ordered, and lose nothing on a crash.
      this.#handle!.writeSync(bytes);
      this.#size += bytes.length;
    } catch {
      // A full or read-only disk must not take the gateway down with it.
    }
  }

  #open() {
    Deno.mkdirSync(dirname(this.file!), { recursive: true, mode: 0o700 });
    this.#handle = Deno.openSync(this.file!, { append: true, create: true, mode: 0o600 });
    this.#size = this.#handle.statSync().size;
  }

  #rotates(): boolean {
    if (typeof this.#mayRotate === "function") {
      // Asked once: the answer holds for this (short-lived) process.
      this.#mayRotate = this.#mayRotate();
    }
    return this.#mayRotate;
  }

  #rotate() {
    this.close();
    const file = this.file!;
    for (let i = this.#maxFiles - 1; i >= 1; i--) {
      try {
        Deno.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch { /* a gap in the series is fine */ }
    }
    try {
      Deno.renameSync(file, `${file}.1`);
    } catch { /* already gone */ }
    try {
      Deno.removeSync(`${file}.${this.#maxFiles + 1}`);
    } catch { /* fewer files than the limit */ }
    this.#open();
  }
}

/** A copy of `value` with every Error (nested ones and causes included) as plain data. */
export function serializeErrors(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (value instanceof Error) {
    const extra = Object.fromEntries(
      Object.entries(value).map(([key, field]) => [key, serializeErrors(field, depth + 1)]),
    );
    return {
      ...extra,
      name: value.name,
      message: value.message,
      stack: value.stack,
      ...(value.cause !== undefined ? { cause: serializeErrors(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => serializeErrors(item, depth + 1));
  if (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [key, serializeErrors(field, depth + 1)]),
    );
  }
  return value;
}

function formatForConsole(record: LogRecord): string {
  const { time, level, msg, ...fields } = record;
  const clock = time.slice(11, 19);
  const rest = Object.entries(fields)
    // An absent field is left out, as the file's JSON leaves it out (not `httpUrl=undefined`).
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      if (value && typeof value === "object" && "message" in value && key === "error") {
        return `error=${JSON.stringify((value as { message: string }).message)}`;
      }
      return `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`;
    })
    .join(" ");
  return `${clock} ${level.toUpperCase().padEnd(5)} ${msg}${rest ? " " + rest : ""}`;
}

/**
 * Reads the last `limit` lines of a log file without loading all of it. Chunks are read from the
 * end as bytes and decoded once, so a multi-byte character split by a chunk edge stays whole.
 * `end` (a byte offset) reads the lines before it only, so a follower can go on from there.
 */
export async function readLastLines(file: string, limit: number, end?: number): Promise<string[]> {
  if (limit <= 0) return []; // `slice(-0)` below would keep them all
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  try {
    const size = Math.min(end ?? Infinity, (await handle.stat()).size);
    const chunkSize = 64 * 1024;
    const chunks: Uint8Array[] = [];
    let position = size;
    let newlines = 0;
    // A newline byte never occurs inside a UTF-8 sequence, so counting bytes counts lines.
    while (position > 0 && newlines <= limit) {
      const start = Math.max(0, position - chunkSize);
      const buffer = new Uint8Array(position - start);
      await handle.seek(start, Deno.SeekMode.Start);
      let read = 0;
      while (read < buffer.length) {
        const n = await handle.read(buffer.subarray(read));
        if (n === null) break;
        read += n;
      }
      const chunk = buffer.subarray(0, read);
      for (const byte of chunk) if (byte === 0x0a) newlines++;
      chunks.unshift(chunk);
      position = start;
    }
    const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    // Past the first newline when the read stopped mid-file: the first line may be cut.
    const from = position > 0 ? bytes.indexOf(0x0a) + 1 : 0;
    const lines = new TextDecoder().decode(bytes.subarray(from)).split("\n");
    return lines.filter((line) => line.length > 0).slice(-limit);
  } finally {
    handle.close();
  }
}
