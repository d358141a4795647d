/**
 * @module A raw WebSocket client that authenticates, then sends fuzz frames in batches and checks
 * that every request with an id gets an answer carrying a spec error code or a payload.
 */

import { ErrorCode } from "../../core/errors.ts";
import { type FuzzFrame, type FuzzOptions, randomFrame, type Rng } from "./_fuzz.ts";

const SPEC_CODES = new Set<string>(Object.values(ErrorCode));

/** What a fuzz run saw. */
export interface FuzzReport {
  sent: number;
  answered: number;
  /** Answers by error code (`ok` for successes). */
  codes: Record<string, number>;
  /** Requests that got INTERNAL_ERROR, a non-spec code, or no answer: method → examples. */
  problems: { method: string | undefined; frame: string; answer: unknown }[];
  /** Slowest methods, for tuning exclusions. */
  slowest: { method: string | undefined; ms: number }[];
}

interface Pending {
  frame: FuzzFrame;
  sentAt: number;
  resolve: () => void;
}

/** Opens a socket to `url`, sends `connect` with `token`, and resolves once it is accepted. */
export async function openFuzzSocket(url: string, token: string | undefined) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Could not open ${url}`));
  });
  const hello = new Promise<unknown>((resolve) => {
    socket.onmessage = (event) => resolve(JSON.parse(event.data));
  });
  socket.send(
    JSON.stringify({ type: "req", id: "hello", method: "connect", params: { auth: { token } } }),
  );
  // deno-lint-ignore no-explicit-any
  const answer = await hello as any;
  if (!answer.ok) throw new Error(`connect refused: ${JSON.stringify(answer.error)}`);
  return socket;
}

/**
 * Sends `count` frames from `rng` over `socket`, `batch` at a time, waiting for each batch's
 * answers (at most `timeoutMs` per batch). The socket must stay open throughout.
 */
export async function fuzzSocket(
  socket: WebSocket,
  rng: Rng,
  options: FuzzOptions & { count: number; batch: number; timeoutMs: number; start?: number },
): Promise<FuzzReport> {
  const report: FuzzReport = { sent: 0, answered: 0, codes: {}, problems: [], slowest: [] };
  const pending = new Map<string | number, Pending>();
  let nullAnswers = 0;
  let nullExpected = 0;
  let closed = false;
  const durations: { method: string | undefined; ms: number }[] = [];
  socket.onclose = () => (closed = true);
  socket.onmessage = (event) => {
    // deno-lint-ignore no-explicit-any
    const frame = JSON.parse(event.data) as any;
    if (frame.type !== "res") return;
    report.answered++;
    const code = frame.ok ? "ok" : String(frame.error?.code);
    report.codes[code] = (report.codes[code] ?? 0) + 1;
    if (frame.id === null) {
      nullAnswers++;
      return;
    }
    const waiting = pending.get(frame.id);
    if (!waiting) return;
    pending.delete(frame.id);
    durations.push({ method: waiting.frame.method, ms: performance.now() - waiting.sentAt });
    if (!frame.ok && (code === ErrorCode.INTERNAL_ERROR || !SPEC_CODES.has(code))) {
      report.problems.push({
        method: waiting.frame.method,
        frame: waiting.frame.text.slice(0, 300),
        answer: frame.error,
      });
    }
    waiting.resolve();
  };
  const start = options.start ?? 0;
  for (let first = 0; first < options.count; first += options.batch) {
    const waits: Promise<void>[] = [];
    for (let n = first; n < Math.min(options.count, first + options.batch); n++) {
      const frame = randomFrame(rng, start + n, options);
      if (closed) throw new Error(`The gateway closed the socket before frame ${n}`);
      socket.send(frame.text);
      report.sent++;
      if (frame.expectId === null) nullExpected++;
      else if (frame.expectId !== undefined) {
        waits.push(
          new Promise((resolve) =>
            pending.set(frame.expectId!, { frame, sentAt: performance.now(), resolve })
          ),
        );
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(waits),
      new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs))),
    ]);
    clearTimeout(timer);
    for (const { frame } of pending.values()) {
      report.problems.push({ method: frame.method, frame: frame.text.slice(0, 300), answer: null });
    }
    pending.clear();
    if (closed) throw new Error("The gateway closed the socket during the fuzz");
  }
  // Null-id answers (malformed frames) trail the last batch by at most a moment (a few seconds
  // on a loaded machine; the loop ends as soon as they are in).
  const deadline = Date.now() + 20_000;
  while (nullAnswers < nullExpected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (nullAnswers < nullExpected) {
    report.problems.push({
      method: undefined,
      frame: `${nullExpected - nullAnswers} malformed frames`,
      answer: null,
    });
  }
  report.slowest = durations.sort((a, b) => b.ms - a.ms).slice(0, 5);
  return report;
}
