/**
 * @module Holds idle WebSocket clients on a gateway from a process of their own, for the
 * benchmarks' "turn with 1,000 idle clients" rows: the measuring process then times a turn
 * without carrying a thousand sockets and their garbage itself, so the row shows what the idle
 * clients cost the gateway, not what they cost the benchmark's own event loop and heap.
 *
 * Usage: deno run -A scripts/bench/idle_clients.ts URL COUNT [CONNECT_PARAMS_JSON]
 * Prints `connected N` once every client has connected (or failed within 20 s), then holds them
 * until its standard input closes, and closes them.
 */

import { within, wsSession } from "./_common.ts";

const [url, count, connect] = Deno.args;
const outcomes = await Promise.allSettled(
  Array.from(
    { length: Number(count) },
    () => within(wsSession(url, connect ? JSON.parse(connect) : undefined), 20_000),
  ),
);
const sockets = outcomes.flatMap((o) => o.status === "fulfilled" ? [o.value.socket] : []);
console.log(`connected ${sockets.length}`);
// Held until the parent closes our stdin (or dies, which closes it too).
for await (const _ of Deno.stdin.readable) { /* nothing is sent; wait for the end */ }
for (const socket of sockets) socket.close();
Deno.exit(0);
