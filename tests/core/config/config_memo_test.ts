/**
 * @module The config as the start memo keeps it (core/config/config_memo.ts): it restores to
 * exactly the validated config, reading every string of the text's from the text again, and
 * no memo is made where it would not restore exactly.
 */

import { assert, assertEquals } from "../../_helpers/assert.ts";
import { loadConfigText } from "../../../core/config/load.ts";
import type { Config } from "../../../core/config/schema.ts";
import { configFromMemo, memoOfConfig, substitutedText } from "../../../core/config/config_memo.ts";

const env = { PROXY_KEY: "sk-from-env" };
const text = `// JSON5, as the file may be written
{
  gateway: { port: 4000, trustedProxies: ["loopback", "10.0.0.0/8"] },
  models: {
    providers: {
      up: { baseUrl: "http://127.0.0.1:9/v1", apiKey: "\${PROXY_KEY}", headers: { "x-a": "b" } },
    },
  },
  agents: { defaults: { model: "up/m" } },
}`;

Deno.test("a memo of a config restores to the validated config, its strings read from the text again", async () => {
  const { config, warnings } = loadConfigText(text, "/x/pyclaw.json", env);
  const { substituted } = await substitutedText(text, env);
  const memo = memoOfConfig(config, substituted, warnings);
  assert(memo, "no memo was made");
  const stored = JSON.stringify(memo);
  for (const given of ["sk-from-env", "10.0.0.0/8", "127.0.0.1:9", "up/m", '"b"']) {
    assert(!stored.includes(given), `${given} is in the memo`);
  }
  const restored = configFromMemo(memo, substituted);
  assertEquals(restored, config);
  assert(Object.isFrozen(restored) && Object.isFrozen(restored!.gateway), "not frozen");
  // Another value of the variable restores as that value: the memo's key is what keeps such a
  // memo from being used (core/config/start_memo.ts).
  const other = await substitutedText(text, { PROXY_KEY: "sk-other" });
  assertEquals(configFromMemo(memo, other.substituted)!.models.providers.up.apiKey, "sk-other");
});

Deno.test("a memo restores nothing where the text no longer holds one of its strings", async () => {
  const { config, warnings } = loadConfigText(text, "/x/pyclaw.json", env);
  const memo = memoOfConfig(config, (await substitutedText(text, env)).substituted, warnings)!;
  const without = await substitutedText("{ gateway: { port: 4000 } }", env);
  assertEquals(configFromMemo(memo, without.substituted), undefined);
});

Deno.test("no memo is made of a config whose string differs from the text's at its place", () => {
  // The schema changes no string today; a later one that trimmed, say, would keep the changed
  // string in the memo, so none is made.
  const config = { gateway: { bind: "lan" } } as unknown as Config;
  assertEquals(memoOfConfig(config, { gateway: { bind: " lan " } }, []), undefined);
  assert(memoOfConfig(config, { gateway: { bind: "lan" } }, []));
  // A default (not in the text) stays in the memo as it is.
  assertEquals(memoOfConfig(config, {}, [])?.template, { gateway: { bind: "lan" } });
});

Deno.test("no memo is made of a config with a value JSON cannot hold", () => {
  const config = { limits: { rate: Infinity } } as unknown as Config;
  assertEquals(memoOfConfig(config, {}, []), undefined);
});
