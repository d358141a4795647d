/**
 * @module Memory-reducing garbage collections at the gateway's quiet moments (issue 17, idle
 * RSS): once its start-up has settled, and after each busy spell ({@linkcode collectAfterWork}).
 *
 * Start-up: loading the program and building the services allocates ~20 MB in a burst: the
 * young generation grows to ~8 MB for it and the old one keeps the burst's garbage, and V8
 * keeps both committed until its memory reducer first runs, ~30 s after start. This runs that
 * collection right after start-up instead (~8 MB less resident from then on; measured figures
 * in docs/benchmarks.md). It costs one pause of a few tens of ms at idle and nothing per request:
 * under load the young generation grows back as V8 sees fit, unlike a capped semi-space, which
 * multiplied the scavenges of every request.
 *
 * Beside it, {@linkcode keepFreedMallocMemory} keeps glibc's malloc from giving a turn's freed
 * memory back to the kernel only to fault it in again.
 *
 * V8 hands scripts `gc()` only with `--v8-flags=--expose-gc`, which the launcher
 * (`scripts/pyclaw`), the service unit and `scripts/compile.sh` pass (`GATEWAY_V8_FLAGS`);
 * without it (tests, a bare `deno run`) nothing happens.
 */

import { webTimeout } from "./web_timeout.ts";

/** The launcher's V8 flags; scripts/pyclaw, the service unit and scripts/compile.sh agree. */
export const GATEWAY_V8_FLAGS = "--v8-flags=--expose-gc";

/** What V8's `gc()` takes with `--expose-gc` (v8/src/extensions/gc-extension.cc). */
type ExposedGc = (options: {
  type: "major";
  execution: "async";
  flavor: "last-resort";
}) => Promise<void> | void;

/**
 * V8's memory-reducing full collection, where `--expose-gc` gave scripts `gc()` (undefined
 * elsewhere). "last-resort" is CollectAllAvailableGarbage: it compacts the old generation and
 * shrinks the young one, which a regular major GC leaves at its grown size. "async" runs it as a
 * task of its own, off the caller's stack.
 */
function lastResortGc(): (() => Promise<void>) | undefined {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (typeof gc !== "function") return undefined;
  return async () => {
    await gc({ type: "major", execution: "async", flavor: "last-resort" });
  };
}

/** Heap and resident sizes around a collection, in bytes. */
export interface GcSizes {
  heapUsedBefore: number;
  heapUsedAfter: number;
  rssBefore: number;
  rssAfter: number;
}

/** The start-up collection's sizes, and how long it waited for quiet. */
export interface StartupGcReport extends GcSizes {
  waitedMs: number;
  /** The activity count when it collected (the gateway: requests and frames since it listened). */
  activity: number;
}

/** Options for {@linkcode collectAfterStartup}. */
export interface StartupGcOptions {
  /**
   * How often to look whether the process has gone quiet.
   * @default 250
   */
  checkEveryMs?: number;
  /**
   * Quiet: the heap changed by less than this since the last look. Start-up's background work
   * (services loading their files, the sandbox probe) and any request move it by more.
   * @default 65536
   */
  quietBytes?: number;
  /**
   * When the process never goes quiet, stop looking after this long: V8's own memory reducer
   * takes over from ~30 s after start.
   * @default 30000
   */
  giveUpAfterMs?: number;
  /**
   * A count that grows with the work the process takes (the gateway: requests through its
   * listeners and its WebSocket clients' frames). Quiet also means it grew by at most one since
   * the last look (a poll, not a flow): under load the heap rises and falls with each scavenge,
   * and two looks can read it the same by chance. A collection at such a moment (seen in a
   * benchmark's steady flow of requests, ~4 s after start) paused the requests for 30-40 ms and
   * shrank the young generation just grown for them: scavenges of ~1.5 MB every ~60 ms for
   * seconds after, where they had been ~6 MB every ~400 ms.
   */
  activity?: () => number;
  /** Told the sizes once the collection is done. */
  onCollected?: (report: StartupGcReport) => void;
}

/**
 * Collects once the process is quiet (the heap still and, where given, no flow of activity): a
 * request never waits for it, and a gateway busy from its first second does not pay for it.
 * Returns a function that cancels it (a gateway stopping first, which it then does not hold up).
 */
export function collectAfterStartup(options: StartupGcOptions = {}): () => void {
  const lastResort = lastResortGc();
  if (!lastResort) return () => {};
  const quietBytes = options.quietBytes ?? 64 * 1024;
  const scheduledAt = Date.now();
  const giveUpAt = scheduledAt + (options.giveUpAfterMs ?? 30_000);
  let cancel = () => {};
  const activity = options.activity ?? (() => 0);
  let lastHeap = Deno.memoryUsage().heapUsed;
  let lastActivity = activity();
  const look = async () => {
    const before = Deno.memoryUsage();
    const now = activity();
    const quiet = Math.abs(before.heapUsed - lastHeap) < quietBytes && now - lastActivity <= 1;
    lastHeap = before.heapUsed;
    lastActivity = now;
    if (!quiet) {
      if (Date.now() < giveUpAt) arm();
      return;
    }
    await lastResort();
    const after = Deno.memoryUsage();
    options.onCollected?.({
      waitedMs: Date.now() - scheduledAt,
      activity: now,
      heapUsedBefore: before.heapUsed,
      heapUsedAfter: after.heapUsed,
      rssBefore: before.rss,
      rssAfter: after.rss,
    });
  };
  // Not setTimeout: its first call loads Deno's Node timers, and an idle gateway has none.
  const arm = () => {
    cancel = webTimeout(look, options.checkEveryMs ?? 250);
  };
  arm();
  return () => cancel();
}

/** Options for {@linkcode collectAfterWork}. */
export interface AfterWorkGcOptions {
  /** The work count, as {@linkcode StartupGcOptions.activity}. */
  activity: () => number;
  /** How often to look. @default 30000 */
  checkEveryMs?: number;
  /**
   * The most requests and frames a look may find since the look before and still find the
   * gateway quiet: a monitor's health polls are not work.
   * @default one for each 5 s between looks (6), at least one
   */
  quietUnits?: number;
  /**
   * The work since the last collection (or since watching began) that may have grown anything
   * to give back; with less, no collection.
   * @default 64
   */
  minWork?: number;
  /**
   * How far the resident size must have grown over what the last collection left (or the least
   * a quiet look found since, as after the start-up collection) for another to be worth its
   * pause.
   * @default 8 MiB
   */
  minGrowthBytes?: number;
  /**
   * Work under way that takes no requests or frames for a while (an agent's turn, its tools and
   * model calls; an HTTP request its route has not answered yet): no collection pauses it.
   */
  busy?: () => boolean;
  /** The resident size now. @default Deno.memoryUsage().rss */
  rss?: () => number;
  /** Told the sizes once a collection is done (the gateway trims malloc's heap there). */
  onCollected?: (report: AfterWorkGcReport) => void | Promise<void>;
}

/**
 * A collection after a busy spell: the work it followed, and the sizes around it (`rssAfter`
 * before {@linkcode AfterWorkGcOptions.onCollected} ran).
 */
export interface AfterWorkGcReport extends GcSizes {
  /** Requests and frames since the last collection (or since watching began). */
  work: number;
}

/** By default a look finds the gateway quiet with at most one unit of work for each 5 s. */
const QUIET_MS_PER_UNIT = 5_000;

/**
 * Collects once each busy spell is over, for the gateway's whole life. Under load the resident
 * size grows to what the load needs (125-165 MB in a benchmark of `/v1` requests and turns) and,
 * the load gone, V8's own memory reducer brings it back only part of the way (97-105 MB, of ~60
 * after start): malloc's heap keeps what {@linkcode keepFreedMallocMemory} told it to keep. After
 * `minWork` requests and frames, the first look that finds the gateway quiet and nothing
 * {@linkcode AfterWorkGcOptions.busy} runs the memory-reducing collection and `onCollected`
 * (where the gateway trims malloc's heap), when the resident size has grown by `minGrowthBytes`
 * over what the last collection left or a quiet look found since (10-15 MB less resident
 * measured, docs/benchmarks.md). A gateway taking requests or frames, or running a turn, is not
 * paused for it; a lone stream that outlasts a look may be, once, for a collection of tens of
 * ms. An idle gateway pays a look every `checkEveryMs`. The resident size counts the binary's
 * pages too, which the kernel may drop under memory pressure and a spell faults back in: at
 * worst that makes one collection that gives back little, at most one a spell. Returns the
 * function that stops it.
 */
export function collectAfterWork(options: AfterWorkGcOptions): () => void {
  const lastResort = lastResortGc();
  if (!lastResort) return () => {};
  const every = options.checkEveryMs ?? 30_000;
  const quietUnits = options.quietUnits ?? Math.max(1, Math.floor(every / QUIET_MS_PER_UNIT));
  const minWork = options.minWork ?? 64;
  const minGrowth = options.minGrowthBytes ?? 8 << 20;
  const rss = options.rss ?? (() => Deno.memoryUsage().rss);
  let stopped = false;
  let cancel = () => {};
  let lastLook = options.activity();
  let lastCollection = lastLook;
  /**
   * What the last collection left resident, or the least a quiet look found since: at first,
   * the size when watching began (before the start-up collection, which the looks then see).
   */
  let leftResident = rss();
  const collect = async (work: number, rssBefore: number) => {
    const heapUsedBefore = Deno.memoryUsage().heapUsed;
    await lastResort();
    // Work from the look on counts towards the next collection.
    lastCollection = lastLook;
    try {
      await options.onCollected?.({
        work,
        heapUsedBefore,
        heapUsedAfter: Deno.memoryUsage().heapUsed,
        rssBefore,
        rssAfter: rss(),
      });
    } finally {
      leftResident = rss();
    }
  };
  const look = async () => {
    try {
      const now = options.activity();
      const quiet = now - lastLook <= quietUnits;
      lastLook = now;
      const work = now - lastCollection;
      if (quiet) {
        const before = rss();
        const due = work >= minWork && before - leftResident >= minGrowth;
        if (due && !options.busy?.()) await collect(work, before);
        else leftResident = Math.min(leftResident, before);
      }
    } catch {
      // A failure here (the report's logging, a count that threw) must not end the gateway: the
      // next look tries again.
    } finally {
      if (!stopped) arm();
    }
  };
  const arm = () => {
    cancel = webTimeout(() => void look(), every);
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}

/** glibc's `mallopt` parameters (malloc.h). */
const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

/**
 * Tells glibc's malloc not to give freed memory at the top of its heap back to the kernel until
 * more than 8 MiB of it is free, and to serve blocks below 4 MiB from the heap rather than their
 * own mappings (issue 17, a turn with 1,000
 * idle clients). A turn's request body (its whole history, tens of KB, more than one copy) lives
 * outside V8's heap and is freed by V8's collector in batches; with the defaults (thresholds that
 * adapt upward from 128 KiB) a gateway whose young generation had grown, as a burst of connects
 * grows it, gave each batch back to the kernel and page-faulted it in again on the next turns:
 * 1-25 faults a turn against ~2, each costly in a virtual machine (~10-15 us here), up to ~25%
 * more CPU per turn. Idle RSS after start is the same either way (52.5 vs 53.0 MB measured);
 * after a busy spell it keeps ~9 MB more, which {@linkcode collectAfterWork} trims once quiet.
 * The 8 MiB is a trim threshold, not a cap: what stays resident after a burst is bounded by the
 * burst and by fragmentation, as with the defaults, whose adaptive mmap threshold (up to 32 MiB)
 * keeps far more after bursts of large buffers (review: 6 MiB buffers, 2.4 GB after five bursts
 * by default, 52 MB with these settings).
 * Only for glibc on Linux with the FFI permission (the launcher's set has it); elsewhere nothing
 * happens. Returns whether both settings took.
 */
export function keepFreedMallocMemory(): Promise<boolean> {
  return withGlibc(async (libc) =>
    await libc.mallopt(M_TRIM_THRESHOLD, 8 << 20) === 1 &&
    await libc.mallopt(M_MMAP_THRESHOLD, 4 << 20) === 1
  );
}

/**
 * Gives malloc's free memory back to the kernel once (glibc's `malloc_trim(0)`: the heap's top
 * and free pages inside it): run after the start-up collection and after each collection after
 * work, which free buffers that {@linkcode keepFreedMallocMemory}'s threshold would keep
 * resident. Returns whether it ran.
 */
export function trimFreedMalloc(): Promise<boolean> {
  return withGlibc(async (libc) => {
    await libc.malloc_trim(0n);
    return true;
  });
}

/**
 * The two glibc calls, nonblocking (each a task on Deno's blocking thread pool): for a
 * synchronous symbol Deno compiles a fast-call trampoline at `dlopen` with its Cranelift JIT
 * (ext/ffi's turbocall), whose code, run once, stayed resident: 1.4 MB of idle RSS measured
 * (docs/benchmarks.md, idle memory sixth pass). tests/scripts/idle_gc_test.ts holds them to it.
 */
export const GLIBC_MALLOC_SYMBOLS = {
  mallopt: { parameters: ["i32", "i32"], result: "i32", nonblocking: true },
  malloc_trim: { parameters: ["usize"], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** Calls into glibc on Linux with the FFI permission; false elsewhere or when that fails. */
async function withGlibc(
  use: (libc: Deno.StaticForeignLibraryInterface<typeof GLIBC_MALLOC_SYMBOLS>) => Promise<boolean>,
): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
    const libc = Deno.dlopen("libc.so.6", GLIBC_MALLOC_SYMBOLS);
    try {
      return await use(libc.symbols);
    } finally {
      libc.close();
    }
  } catch {
    return false; // musl, no libc.so.6, or FFI refused: the defaults stay
  }
}
