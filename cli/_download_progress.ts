/**
 * @module The download progress display: a `cli-progress` bar (bytes, speed, ETA) on a terminal,
 * plain lines every few seconds otherwise, so logs and pipes stay readable.
 */

/** Draws the progress of one file at a time. */
export interface DownloadProgress {
  start(name: string, total: number, resumedFrom: number): void;
  update(received: number): void;
  /** Ends the current file's display (drawn complete when it completed). */
  stop(): void;
}

/** `1.5 GB`, `300.0 KB`, `12 B`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `1h02m`, `3m05s`, `7s`; `?` while unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

interface Rate {
  speed: string;
  eta: string;
}

class RateMeter {
  #startedAt = performance.now();
  #from: number;
  #total: number;
  constructor(from: number, total: number) {
    this.#from = from;
    this.#total = total;
  }
  at(received: number): Rate {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    // Bytes kept from an earlier attempt did not arrive now and must not inflate the speed.
    const perSecond = seconds > 0 ? (received - this.#from) / seconds : 0;
    return {
      speed: `${formatBytes(Math.round(perSecond))}/s`,
      eta: perSecond > 0 ? formatDuration((this.#total - received) / perSecond) : "?",
    };
  }
}

// The slice of cli-progress's API used here (the package ships no types).
interface Bar {
  start(total: number, start: number, payload: Record<string, string>): void;
  update(value: number, payload: Record<string, string>): void;
  stop(): void;
}

/** A terminal bar. `cli-progress` is loaded only here, when a terminal is there to draw on. */
export async function terminalProgress(): Promise<DownloadProgress> {
  const { default: cliProgress } = await import("cli-progress");
  const { default: process } = await import("node:process");
  let bar: Bar | undefined;
  let meter: RateMeter | undefined;
  let total = 0;
  // cli-progress has its own {eta} and {speed}-less tokens; ours get distinct names.
  const payload = (received: number) => ({
    rate: meter!.at(received).speed,
    remaining: meter!.at(received).eta,
    done: formatBytes(received),
    size: formatBytes(total),
  });
  return {
    start(name, size, from) {
      total = size;
      meter = new RateMeter(from, size);
      bar = new cliProgress.SingleBar({
        format: `${name} {bar} {percentage}% | {done} / {size} | {rate} | ETA {remaining}`,
        stream: process.stdout,
        hideCursor: true,
        clearOnComplete: false,
        barsize: 30,
      }, cliProgress.Presets.shades_classic) as Bar;
      bar.start(size, from, payload(from));
    },
    update(received) {
      bar?.update(received, payload(received));
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Plain lines (for pipes and logs): one every `intervalMs`, and one at the end. */
export function lineProgress(
  write: (line: string) => void,
  intervalMs = 2000,
): DownloadProgress {
  let meter: RateMeter | undefined;
  let total = 0;
  let last = 0;
  let received = 0;
  const line = (value: number) => {
    const percent = total > 0 ? Math.floor((value / total) * 100) : 100;
    const { speed, eta } = meter!.at(value);
    write(`  ${percent}% ${formatBytes(value)} / ${formatBytes(total)}  ${speed}  ETA ${eta}`);
  };
  return {
    start(_name, size, from) {
      total = size;
      received = from;
      meter = new RateMeter(from, size);
      last = performance.now();
      if (from > 0) write(`  resuming at ${formatBytes(from)} of ${formatBytes(size)}`);
    },
    update(value) {
      received = value;
      const now = performance.now();
      if (now - last >= intervalMs && value < total) {
        last = now;
        line(value);
      }
    },
    stop() {
      if (meter) line(received);
      meter = undefined;
    },
  };
}
