/** @module core/web_timeout.ts: a timer that runs once, and once cancelled keeps nothing alive. */

import { assertEquals } from "../_helpers/assert.ts";
import { webTimeout } from "../../core/web_timeout.ts";

Deno.test("webTimeout calls once after its delay, and not at all once cancelled", async () => {
  const calls: string[] = [];
  const cancel = webTimeout(() => calls.push("cancelled"), 0);
  cancel();
  await new Promise<void>((resolve) =>
    webTimeout(() => {
      calls.push("ran");
      resolve();
    }, 1)
  );
  // The cancelled timer was due first: had it run, it would be in the list by now.
  assertEquals(calls, ["ran"]);
});

Deno.test("a cancelled webTimeout does not keep the process alive", async () => {
  const module = new URL("../../core/web_timeout.ts", import.meta.url).href;
  const script = `
    import { webTimeout } from ${JSON.stringify(module)};
    const cancel = webTimeout(() => console.log("fired"), 3_600_000);
    await new Promise((resolve) => webTimeout(resolve, 1));
    cancel();
    console.log("cancelled");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-lock", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A cancelled timer that kept it alive would hold the process for an hour: give up long before.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const output = await child.output();
  clearTimeout(guard);
  assertEquals(new TextDecoder().decode(output.stdout).trim(), "cancelled");
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
});
