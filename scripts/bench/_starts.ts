/**
 * @module The start-up half of scripts/bench/quick.ts: a server's warm start to its first
 * answered HTTP request (elapsed and CPU), its idle RSS, first starts on an empty Deno cache,
 * and a burst of concurrent WebSocket clients. The floor and the gateway go through the same
 * functions, so their figures compare like for like.
 */

import {
  cpuMs,
  freePort,
  median,
  rssMb,
  sleep,
  stopTree,
  track,
  within,
  wsSession,
} from "./_common.ts";

/**
 * Starts a server and polls until its first HTTP answer; returns the elapsed ms and the CPU ms
 * the server used until then (its launcher's bash included, which it replaces). With `giveUpMs`,
 * a server that has not answered by then is stopped and the start fails.
 */
export async function start(
  launch: (port: number) => Deno.ChildProcess,
  { giveUpMs = Infinity }: { giveUpMs?: number } = {},
) {
  const port = freePort();
  const started = performance.now();
  const child = track(launch(port));
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      await response.body?.cancel();
      const ms = performance.now() - started;
      if (response.ok) return { ms, cpu: cpuMs(child.pid), child, port };
    } catch { /* not listening yet */ }
    if (performance.now() - started > giveUpMs) {
      await stopTree(child, 3_000);
      throw new Error(`no answer on port ${port} within ${giveUpMs} ms`);
    }
    await sleep(2);
  }
}

/**
 * Resolves once `cpu` (ms; by default a start's process, all its threads) grows by under 5 ms in
 * `stepMs` (its start-up work done), or after `capMs`.
 */
export async function quiet(
  cpu: () => number,
  { stepMs = 250, capMs = 10_000 }: { stepMs?: number; capMs?: number } = {},
): Promise<void> {
  const until = performance.now() + capMs;
  let before = cpu();
  while (performance.now() < until) {
    await sleep(stepMs);
    const now = cpu();
    if (now - before < 5) return;
    before = now;
  }
}

/**
 * Median warm starts of each launcher, alternated start by start (the first of a round rotating),
 * so a drift in the machine's speed weighs on all alike: measured one side after the other,
 * seconds apart, the warm-start row moved 0.96-1.64x between runs of one tree in one quarter
 * hour (2026-12-06 14:13-14:16), as the floor's own median moved 28-42 ms.
 *
 * Each launcher's first start warms the Deno cache, so it lives as long as a measured one does
 * before its reading, and then until it is quiet: Deno transpiles a module the first time a
 * process loads it, and a server loads modules after its first answer (the gateway ~90 of its
 * ~125, in steps). Stopped at its first answer, as it was, it left those to the measured start,
 * which on a fresh checkout transpiled them itself and read 4-7 MB more idle RSS (1.68x instead
 * of 1.49x); the floor, one module loaded before its first answer, was warm either way.
 */
export async function warmStarts(
  launchers: ((port: number) => Deno.ChildProcess)[],
  starts: number,
) {
  for (const launch of launchers) {
    const warming = await start(launch);
    await sleep(1_500);
    await quiet(() => cpuMs(warming.child.pid));
    await stopTree(warming.child);
  }
  const runs = launchers.map(() => ({ times: [] as number[], cpus: [] as number[] }));
  for (let i = 0; i < starts; i++) {
    for (let j = 0; j < launchers.length; j++) {
      const side = (i + j) % launchers.length;
      const { ms, cpu, child } = await start(launchers[side]);
      runs[side].times.push(ms);
      runs[side].cpus.push(cpu);
      await stopTree(child, 5_000);
    }
  }
  return runs.map((run) => ({ start: median(run.times), startCpu: median(run.cpus) }));
}

/** A started server's idle RSS (its process tree, 1.5 s after its first answer); left running. */
export async function idleServer(launch: (port: number) => Deno.ChildProcess) {
  const server = await start(launch);
  await sleep(1_500);
  return { rss: rssMb(server.child.pid).tree, ...server };
}

/**
 * Medians of three first starts on an empty Deno cache (a fresh `DENO_DIR` each), elapsed and
 * CPU: every module parsed, transpiled and compiled anew, as after an install or a Deno upgrade.
 * The floor's and the gateway's alternate, so a drift in the machine's load weighs on both: run
 * one side after the other, the row read 1.52-1.57x on 8c171fd and 1.72-1.74x on de219e5, whose
 * first starts measured alike when alternated.
 */
export async function coldStarts(
  ...launchers: ((port: number, env: Record<string, string>) => Deno.ChildProcess)[]
) {
  const runs = launchers.map(() => ({ times: [] as number[], cpus: [] as number[] }));
  for (let i = 0; i < 3; i++) {
    for (const [j, launch] of launchers.entries()) {
      const denoDir = await Deno.makeTempDir({ prefix: "pyclaw-quick-deno-" });
      try {
        const { ms, cpu, child } = await start((port) => launch(port, { DENO_DIR: denoDir }));
        runs[j].times.push(ms);
        runs[j].cpus.push(cpu);
        await stopTree(child, 5_000);
      } finally {
        await Deno.remove(denoDir, { recursive: true });
      }
    }
  }
  return runs.map((run) => ({ cold: median(run.times), coldCpu: median(run.cpus) }));
}

/**
 * `clients` sockets at once, each connect (with `connectParams`, or none for the floor) +
 * health; answered count and elapsed ms.
 */
export async function burst(port: number, clients: number, connectParams?: unknown) {
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: clients }, () =>
      within(
        (async () => {
          const { socket, call } = await wsSession(
            `ws://127.0.0.1:${port}`,
            connectParams,
          );
          const reply = await call("health");
          socket.close();
          return reply.ok;
        })(),
        20_000,
      )),
  );
  const answered = outcomes.filter((o) => o.status === "fulfilled" && o.value).length;
  return { answered, ms: performance.now() - started };
}
