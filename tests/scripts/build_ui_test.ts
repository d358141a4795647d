import { assertEquals, assertMatch } from "../_helpers/assert.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("build_ui --check finds the committed Control UI bundle up to date with ui/", async () => {
  const output = await new Deno.Command(`${root}node_modules/.bin/deno`, {
    args: ["run", "-A", "--no-lock", "scripts/build_ui.ts", "--check"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, text);
  assertMatch(text, /server\/ui\/assets\.gen\.ts is up to date/);
});

Deno.test("the generated Control UI module exports the page and hashed assets only", async () => {
  const { INDEX_HTML, UI_ASSETS } = await import("../../server/ui/assets.gen.ts");
  assertMatch(INDEX_HTML, /^<!doctype html>/);
  for (const [path, asset] of Object.entries(UI_ASSETS)) {
    assertMatch(path, /^\/ui\/[a-z]+\.[0-9a-f]{12}\.(js|css|svg)$/);
    assertEquals(INDEX_HTML.includes(path), true, `${path} is not named by the page`);
    assertEquals(asset.body.length > 0, true);
  }
});
