/** @module scripts/test_summary.sh: the closing line CI reads counts skipped checks honestly. */

import { assertEquals } from "../_helpers/assert.ts";

const script = new URL("../../scripts/test_summary.sh", import.meta.url).pathname;

async function summarize(log: string): Promise<string> {
  const child = new Deno.Command("bash", { args: [script], stdin: "piped", stdout: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(log));
  await writer.close();
  return new TextDecoder().decode((await child.output()).stdout).trim();
}

Deno.test("test_summary.sh reports ignored tests and ignored steps as skipped, not passed", async () => {
  assertEquals(await summarize("ok | 9 passed | 0 failed (7s)\n"), "9 passed, 0 failed, 0 skipped");
  assertEquals(
    await summarize("ok | 12 passed (4 steps) | 0 failed | 2 ignored (7s)\n"),
    "12 passed, 0 failed, 2 skipped",
  );
  assertEquals(
    await summarize("running 3 tests\nFAILED | 1 passed | 1 failed | 1 ignored (2 steps) (51ms)\n"),
    "1 passed, 1 failed, 3 skipped",
  );
  // A run that never printed its summary did not pass.
  assertEquals(await summarize("error: Module not found\n"), "0 passed, 1 failed, 0 skipped");
});

Deno.test("no test registers an ignored step in place of skipping itself", async () => {
  // An ignored `t.step` followed by `return` counts the whole test as passed; a test that cannot
  // run here is registered with `ignore:` instead, so deno and the summary count it skipped.
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(path);
        if (/t\.step\(\{[^}]*ignore:\s*true/.test(text)) offenders.push(path);
      }
    }
  };
  await walk(new URL("..", import.meta.url).pathname.replace(/\/$/, ""));
  assertEquals(offenders, []);
});
