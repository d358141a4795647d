/**
 * @module The config schema is built on use and not kept (issue 17, idle RSS): an idle gateway
 * validated its config once at start and should hold none of the schema's ~400 zod objects.
 * Collection is observed in a child Deno run with V8's `gc()` exposed, which `deno test` lacks.
 */

import { assertEquals } from "../../_helpers/assert.ts";

const root = new URL("../../../", import.meta.url);

/** Runs `code` as a module in the project root with `gc()` exposed; its stdout, trimmed. */
async function runWithGc(code: string): Promise<string> {
  const output = await new Deno.Command(`${root.pathname}node_modules/.bin/deno`, {
    args: ["eval", "--no-lock", "--quiet", "--v8-flags=--expose-gc", code],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, stderr);
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("a validated config keeps no schema alive, and the next validation builds it again", async () => {
  const out = await runWithGc(`
    import { configSchema } from "./core/config/schema.ts";
    import { validateConfig } from "./core/config/load.ts";
    const first = validateConfig({ gateway: { port: 1234 } }, {});
    const ref = new WeakRef(configSchema());
    // A WeakRef target stays alive until the job that made it ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    const freed = ref.deref() === undefined;
    const again = validateConfig({ gateway: { port: 1234 } }, {});
    console.log(JSON.stringify({ freed, same: JSON.stringify(first) === JSON.stringify(again) }));
  `);
  assertEquals(JSON.parse(out), { freed: true, same: true });
});

Deno.test("one burst of validations builds the schema once", async () => {
  const out = await runWithGc(`
    import { configSchema } from "./core/config/schema.ts";
    console.log(configSchema() === configSchema());
  `);
  assertEquals(out, "true");
});
