/**
 * @module What the bubblewrap sandbox adds to starting one agent command: `true` run through
 * the same spawner as `exec`, on the host and in the sandbox, alternately, in one run; prints the
 * medians and the difference (target: ≤ 20 ms added).
 *
 * Usage: npm run bench:sandbox [-- --runs 60]
 */

import { runShellCommand } from "../../tools/_process_tree.ts";
import { CommandSandbox, hostLaunch } from "../../tools/sandbox/command_sandbox.ts";

const runsFlag = Deno.args.indexOf("--runs");
const runs = runsFlag >= 0 ? Number(Deno.args[runsFlag + 1]) : 60;
const workspace = await Deno.makeTempDir({ prefix: "pyclaw-bench-sbx-" });
const sandbox = new CommandSandbox({
  hidden: [Deno.env.get("HOME") ?? "/root"],
  env: Deno.env.toObject(),
});
const availability = await sandbox.availability();
if (!availability.available) {
  console.error(`No sandbox here: ${availability.reason}`);
  Deno.exit(1);
}
const settings = { mode: "bwrap" as const, network: false, cpuSeconds: 60, memoryMb: 1024 };

async function timed(sandboxed: boolean): Promise<number> {
  const launch = sandboxed
    ? await sandbox.launch("true", { workspace, cwd: workspace }, settings)
    : hostLaunch("true");
  const started = performance.now();
  const result = await runShellCommand("true", {
    cwd: workspace,
    timeoutMs: 10_000,
    maxOutputBytes: 1_000,
    launch,
  });
  if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}: ${result.stderr}`);
  return performance.now() - started;
}

const host: number[] = [];
const boxed: number[] = [];
for (let i = 0; i < 5; i++) await timed(i % 2 === 0); // warm-up
for (let i = 0; i < runs; i++) {
  host.push(await timed(false));
  boxed.push(await timed(true));
}
await Deno.remove(workspace, { recursive: true });

const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
const [load] = Deno.loadavg();
console.log(
  `bubblewrap ${availability.version}, ${runs} runs each, load average ${load.toFixed(2)}`,
);
console.log(`host    median ${median(host).toFixed(1)} ms`);
console.log(`sandbox median ${median(boxed).toFixed(1)} ms`);
console.log(`added   ${(median(boxed) - median(host)).toFixed(1)} ms (target ≤ 20 ms)`);
