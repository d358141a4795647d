import JSON5 from "json5";
import { assert, assertEquals, assertThrows } from "../_helpers/assert.ts";
import { ConfigError, parseConfigText, validateConfig } from "../../core/config/load.ts";
import { mergePatch } from "../../core/config/key_path.ts";
import { isKnownConfigKey } from "../../core/config/schema.ts";
import { REDACTED, redactSecrets, restoreRedacted } from "../../core/config/secrets.ts";
import { ConfigStore } from "../../core/config/store.ts";
import { GatewayError } from "../../core/errors.ts";

Deno.test("config: an empty document yields safe defaults", () => {
  const { config, warnings } = validateConfig({}, {});
  assertEquals(config.gateway.port, 18789);
  assertEquals(config.gateway.bind, "loopback");
  assertEquals(config.gateway.auth.mode, "token");
  assertEquals(config.tools.exec.policy, "ask");
  assertEquals(config.tools.restrictToWorkspace, true);
  assertEquals(warnings, []);
  assert(Object.isFrozen(config.gateway));
});

Deno.test("config: JSON5 with comments and trailing commas parses", () => {
  const raw = parseConfigText(`{
    // the port
    gateway: { port: 1234, },
  }`);
  assertEquals(validateConfig(raw, {}).config.gateway.port, 1234);
});

Deno.test("config: unknown keys are warnings with their paths, not errors", () => {
  const { config, warnings } = validateConfig({ gateway: { prot: 1 }, extra: true }, {});
  assertEquals(config.gateway.port, 18789);
  assertEquals(warnings.map((w) => w.path).sort(), ["extra", "gateway.prot"]);
});

Deno.test("config: an invalid value names the key path and the reason", () => {
  const error = assertThrows(
    () => validateConfig({ gateway: { port: 70000 } }, {}, "/x/pyclaw.json"),
    ConfigError,
  );
  assertEquals(error.issues[0].path, "gateway.port");
  assert(error.message.includes("gateway.port"), error.message);
  const syntax = assertThrows(() => parseConfigText("{ gateway: "), ConfigError);
  assert(
    syntax.message.includes("JSON5") || syntax.message.includes("end of input"),
    syntax.message,
  );
  assertThrows(() => parseConfigText("[1]"), ConfigError);
});

Deno.test("config: ${ENV} references are substituted, $${X} stays literal, a missing one is an error", () => {
  const raw = {
    models: { providers: { openai: { apiKey: "${OPENAI_KEY}", baseUrl: "http://h/$${V}" } } },
  };
  const { config } = validateConfig(raw, { OPENAI_KEY: "sk-live" });
  assertEquals(config.models.providers.openai.apiKey, "sk-live");
  assertEquals(config.models.providers.openai.baseUrl, "http://h/${V}");
  const error = assertThrows(() => validateConfig(raw, {}), ConfigError);
  assertEquals(error.issues[0].path, "models.providers.openai.apiKey");
});

Deno.test("config: secrets are redacted and a redacted value sent back keeps the secret", () => {
  const data = {
    gateway: { auth: { token: "t0k" } },
    tools: { mcpServers: { a: { env: { X: "1" } } } },
  };
  const redacted = redactSecrets(data) as typeof data;
  assertEquals(redacted.gateway.auth.token, REDACTED);
  assertEquals(redacted.tools.mcpServers.a.env.X, REDACTED);
  assertEquals(restoreRedacted(redacted, data), data);
});

Deno.test("config: merge patch merges objects and deletes with null", () => {
  assertEquals(mergePatch({ a: { b: 1, c: 2 }, d: 1 }, { a: { b: null, e: 3 }, d: [1] }), {
    a: { c: 2, e: 3 },
    d: [1],
  });
});

Deno.test("config: isKnownConfigKey follows objects and records", () => {
  assert(isKnownConfigKey(["gateway", "auth", "token"]));
  assert(isKnownConfigKey(["models", "providers", "anything", "apiKey"]));
  assert(!isKnownConfigKey(["gateway", "nope"]));
});

Deno.test("ConfigStore: set and patch validate first and leave the file unchanged on error", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/pyclaw.json`;
  await Deno.writeTextFile(file, "{ gateway: { port: 1000 } } // hand-written\n");
  const store = await ConfigStore.open(file, { env: {} });
  try {
    const before = await Deno.readTextFile(file);
    for (
      const attempt of [
        () => store.set("gateway.port", "x"),
        () => store.set("gateway.nope", 1),
        () => store.set("__proto__.polluted", 1),
        () => store.patch({ gateway: { port: -1 }, logging: { level: "debug" } }),
        () => store.patch(JSON.parse('{"__proto__": {"polluted": true}}')),
        () => store.patch({ constructor: { prototype: {} } }),
      ]
    ) {
      let code = "";
      try {
        await attempt();
      } catch (error) {
        code = (error as GatewayError).code;
      }
      assertEquals(code, "INVALID_PARAMS");
    }
    assertEquals(await Deno.readTextFile(file), before);
    assertEquals(({} as Record<string, unknown>).polluted, undefined);
    assertEquals(store.current.logging.level, "info");

    await store.set("gateway.port", 2000);
    await store.patch({ logging: { level: "debug" } });
    const written = JSON5.parse(await Deno.readTextFile(file));
    assertEquals(written.gateway.port, 2000);
    assertEquals(written.logging.level, "debug");
    assertEquals(store.current.gateway.port, 2000);
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ConfigStore: get of an unknown key is INVALID_PARAMS", async () => {
  const store = await ConfigStore.fromObject("/nonexistent/pyclaw.json", {});
  let code = "";
  try {
    await store.get("gateway.nope");
  } catch (error) {
    code = (error as GatewayError).code;
  }
  assertEquals(code, "INVALID_PARAMS");
  assertEquals(await store.get("gateway.auth.token"), undefined);
  assertEquals(await store.get("gateway.port"), 18789);
});
