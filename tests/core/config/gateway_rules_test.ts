/**
 * @module The config refuses what the gateway refuses: a bind it cannot listen on, and the auth
 * a bind others can reach needs (the rule of core/gateway_token.ts `authProblem`), in
 * validation and in every edit; plus the schema's other whole-value rules.
 */

import { assert, assertEquals, assertRejects, assertThrows } from "../../_helpers/assert.ts";
import { ConfigStore } from "../../../core/config/store.ts";
import { ConfigError, startIssues, validateConfig } from "../../../core/config/load.ts";
import { GatewayError } from "../../../core/errors.ts";
import { authRefusal, bindAddress } from "../../../core/gateway_token.ts";

async function withStore(
  raw: Record<string, unknown>,
  env: Record<string, string>,
  fn: (store: ConfigStore, file: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-gateway-rules-" });
  const file = `${dir}/pyclaw.json`;
  await Deno.writeTextFile(file, JSON.stringify(raw));
  const store = await ConfigStore.open(file, { env });
  try {
    await fn(store, file);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function issuesOf(fn: () => unknown) {
  return assertThrows(fn, ConfigError).issues;
}

Deno.test("config: gateway.bind takes what gateway run listens on, and nothing else", () => {
  for (
    const bind of ["loopback", "localhost", "lan", "all", "127.0.0.1", "0.0.0.0", "::1", "[::]"]
  ) {
    validateConfig({ gateway: { bind } }, {});
  }
  for (const bind of ["everywhere", "1.2.3.4.5", "256.1.1.1", "example.com", "::g"]) {
    const issues = issuesOf(() => validateConfig({ gateway: { bind } }, {}));
    assertEquals(issues[0].path, "gateway.bind");
    assertEquals(
      issues[0].message,
      `${JSON.stringify(bind)} is not an address: use loopback, lan, or an IP address such as ` +
        "127.0.0.1 or 0.0.0.0",
    );
  }
});

Deno.test("config: the start rules are the gateway's auth rule, with the key to change", () => {
  const cases: [Record<string, unknown>, Record<string, string>, string | undefined][] = [
    [{ bind: "lan" }, {}, "gateway.auth.token"],
    [{ bind: "lan" }, { PYCLAW_AUTH_TOKEN: "t".repeat(32) }, undefined],
    [{ bind: "lan", auth: { token: "t".repeat(32) } }, {}, undefined],
    [{ bind: "10.0.0.5", auth: { mode: "none" } }, {}, "gateway.auth.mode"],
    [{ bind: "loopback", auth: { mode: "none" } }, {}, undefined],
    [{ auth: { mode: "password" } }, {}, "gateway.auth.password"],
    [{ auth: { mode: "password" } }, { PYCLAW_AUTH_PASSWORD: "pw" }, undefined],
    [{ bind: "lan", auth: { mode: "password", password: "pw" } }, {}, undefined],
    // On loopback the token file (generated at first start) is enough.
    [{ bind: "127.0.0.1" }, {}, undefined],
  ];
  for (const [gateway, env, path] of cases) {
    const { config } = validateConfig({ gateway }, env);
    const issues = startIssues(config, env);
    assertEquals(issues[0]?.path, path, JSON.stringify({ gateway, env }));
    // The same verdict, word for word, as the gateway's own check before it listens.
    const auth = config.gateway.auth;
    const refusal = authRefusal(
      { mode: auth.mode, tokenSet: Boolean(auth.token), passwordSet: Boolean(auth.password) },
      { env, bindHost: bindAddress(config.gateway.bind) },
    );
    assertEquals(issues[0]?.message, refusal);
    if (path) {
      const thrown = issuesOf(() =>
        validateConfig({ gateway }, env, undefined, { startRules: true })
      );
      assertEquals(thrown[0].path, path);
    }
  }
});

Deno.test("ConfigStore: an edit the gateway would refuse to start on is INVALID_PARAMS, file unchanged", async () => {
  await withStore({}, {}, async (store, file) => {
    const before = await Deno.readTextFile(file);
    const lan = await assertRejects(() => store.set("gateway.bind", "lan"), GatewayError);
    assertEquals(lan.code, "INVALID_PARAMS");
    assertEquals((lan.details?.issues as { path: string }[])[0].path, "gateway.auth.token");
    await assertRejects(
      () => store.set("gateway.bind", "everywhere"),
      GatewayError,
      "gateway.bind",
    );
    await assertRejects(() => store.set("gateway.auth.mode", "password"), GatewayError, "password");
    await assertRejects(
      () => store.patch({ gateway: { bind: "lan", auth: { mode: "none" } } }),
      GatewayError,
      "gateway.auth.mode",
    );
    assertEquals(await Deno.readTextFile(file), before);
    // With the token in the same patch it is what the gateway accepts.
    await store.patch({ gateway: { bind: "lan", auth: { token: "a".repeat(32) } } });
    assertEquals(store.current.gateway.bind, "lan");
  });
});

Deno.test("ConfigStore: PYCLAW_AUTH_TOKEN counts as the gateway counts it; a file that already breaks the rule still takes other edits", async () => {
  await withStore({}, { PYCLAW_AUTH_TOKEN: "e".repeat(32) }, async (store) => {
    await store.set("gateway.bind", "lan");
    assertEquals(store.current.gateway.bind, "lan");
  });
  // Written by hand, say for a gateway started with --auth-token.
  await withStore({ gateway: { bind: "lan" } }, {}, async (store) => {
    await store.set("gateway.port", 19999);
    assertEquals(store.current.gateway.port, 19999);
  });
});

Deno.test("config: agents.list refuses a second agent with the same id, naming it", () => {
  const issues = issuesOf(() =>
    validateConfig({ agents: { list: [{ id: "main" }, { id: "other" }, { id: "main" }] } }, {})
  );
  assertEquals(issues, [{ path: "agents.list[2].id", message: 'Duplicate agent id: "main"' }]);
});

Deno.test("config: a system prompt is capped as chat.send caps it", () => {
  const long = "x".repeat(100_001);
  for (
    const raw of [
      { agents: { defaults: { systemPrompt: long } } },
      { agents: { list: [{ id: "a", systemPrompt: long }] } },
    ]
  ) {
    const issues = issuesOf(() => validateConfig(raw, {}));
    assert(issues[0].path.endsWith("systemPrompt"), issues[0].path);
  }
  validateConfig({ agents: { defaults: { systemPrompt: "x".repeat(100_000) } } }, {});
});

Deno.test("ConfigStore: an edit that changes nothing writes nothing and tells no listener", async () => {
  await withStore({ gateway: { port: 19001 } }, {}, async (store, file) => {
    const stat = await Deno.stat(file);
    let heard = 0;
    store.subscribe(() => heard++);
    assertEquals(await store.set("gateway.port", 19001), false);
    assertEquals(await store.patch({ gateway: { port: 19001 } }), false);
    assertEquals(heard, 0);
    assertEquals((await Deno.stat(file)).mtime, stat.mtime);
    assertEquals(await store.set("gateway.port", 19002), true);
    assertEquals(heard, 1);
  });
});
