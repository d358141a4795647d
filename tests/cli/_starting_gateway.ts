/**
 * @module A gateway between listening and serving, as `gateway stop` sees it: it holds the state
 * dir's lock (argument 1) but has not recorded itself. It prints `claimed`, records itself when
 * a line arrives on stdin (it is ready), and on SIGTERM releases the state dir and exits 0.
 */

import { claimStateDir } from "../../core/state_owner.ts";

const claim = await claimStateDir(Deno.args[0]);
Deno.addSignalListener("SIGTERM", () => {
  claim.release();
  Deno.exit(0);
});
console.log("claimed");
const reader = Deno.stdin.readable.getReader();
await reader.read();
await claim.record({
  url: "ws://127.0.0.1:9",
  port: 9,
  bind: "127.0.0.1",
  configPath: `${Deno.args[0]}/pyclaw.json`,
});
// Runs until stopped.
setInterval(() => {}, 60_000);
