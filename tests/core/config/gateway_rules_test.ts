/**
 * @module The config refuses what the gateway refuses: a bind it cannot listen on, and the auth
 * a bind others can reach needs (the rule of core/gateway_token.ts `authProblem`), in
 * validation and in every edit; plus the schema's other whole-value rules.
 */

import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { ConfigStore } from "../../../core/config/store.ts";
import { startIssues, validateConfig } from "../../../core/config/load.ts";
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

Deno.test("config: gateway.bind's address is a start rule, judged on the bind in force", () => {
  for (
    const bind of ["loopback", "localhost", "lan", "all", "127.0.0.1", "0.0.0.0", "::1", "[::]"]
  ) {
    const { config } = validateConfig({ gateway: { bind } }, {});
    assertEquals(startIssues(config, { PYCLAW_AUTH_TOKEN: "t".repeat(32) }), []);
  }
  for (
    const bind of ["tailnet", "auto", "custom", "1.2.3.4.5", "256.1.1.1", "example.com", "::g"]
  ) {
    // An older pyclaw took these: the config still loads, so every config command works.
    const { config } = validateConfig({ gateway: { bind, port: 28911 } }, {});
    assertEquals(config.gateway.bind, bind);
    const issues = startIssues(config, {});
    assertEquals(issues.length, 1);
    assertEquals(issues[0].path, "gateway.bind");
    assert(issues[0].message.startsWith(`${JSON.stringify(bind)} is not an address`));
    assert(issues[0].message.includes("--bind"), issues[0].message);
    // `gateway run --bind 127.0.0.1` listens there: the config's value is not in force.
    assertEquals(startIssues(config, {}, { bind: "127.0.0.1" }), []);
    const refused = startIssues(validateConfig({ gateway: { bind } }, {}).config, {});
    assertEquals(refused[0].path, "gateway.bind");
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
      const thrown = startIssues(validateConfig({ gateway }, env).config, env);
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

Deno.test("config: a duplicate agent id and an over-long system prompt are warnings with their key, not errors", () => {
  const { warnings, config } = validateConfig(
    { agents: { list: [{ id: "main" }, { id: "other" }, { id: "main", name: "Two" }] } },
    {},
  );
  assertEquals(warnings, [{
    path: "agents.list[2].id",
    message: 'Duplicate agent id "main": the gateway uses the first entry with it ' +
      "(agents.list[0]) and ignores this one",
  }]);
  assertEquals(config.agents.list.length, 3);
  const long = "x".repeat(100_001);
  for (
    const [raw, path] of [
      [{ agents: { defaults: { systemPrompt: long } } }, "agents.defaults.systemPrompt"],
      [{ agents: { list: [{ id: "a", systemPrompt: long }] } }, "agents.list[0].systemPrompt"],
      [
        { agents: { defaults: { compaction: { memoryFlush: { systemPrompt: long } } } } },
        "agents.defaults.compaction.memoryFlush.systemPrompt",
      ],
    ] as const
  ) {
    const loaded = validateConfig(raw as Record<string, unknown>, {});
    assertEquals(loaded.warnings.map((w) => w.path), [path]);
    assert(loaded.warnings[0].message.includes("100001 characters"), loaded.warnings[0].message);
  }
  const fine = validateConfig({ agents: { defaults: { systemPrompt: "x".repeat(100_000) } } }, {});
  assertEquals(fine.warnings, []);
});

Deno.test("ConfigStore: an edit may not bring a duplicate id or an over-long prompt, but a file that has one still takes edits", async () => {
  const long = "x".repeat(100_001);
  await withStore({ agents: { list: [{ id: "a" }] } }, {}, async (store, file) => {
    const before = await Deno.readTextFile(file);
    const dup = await assertRejects(
      () => store.patch({ agents: { list: [{ id: "a" }, { id: "a" }] } }),
      GatewayError,
      "Duplicate agent id",
    );
    assertEquals((dup.details?.issues as { path: string }[])[0].path, "agents.list[1].id");
    await assertRejects(
      () => store.set("agents.defaults.systemPrompt", long),
      GatewayError,
      "agents.defaults.systemPrompt",
    );
    assertEquals(await Deno.readTextFile(file), before);
  });
  // Yesterday's config, with both: edits that leave them alone, or fix them, are taken.
  await withStore(
    {
      agents: { defaults: { systemPrompt: long }, list: [{ id: "a" }, { id: "a" }] },
    },
    {},
    async (store) => {
      await store.set("gateway.port", 19998);
      assertEquals(store.current.gateway.port, 19998);
      // A new over-long value is a new problem, even where one was.
      await assertRejects(
        () => store.set("agents.defaults.systemPrompt", long + "y"),
        GatewayError,
        "100002 characters",
      );
      await store.set("agents.defaults.systemPrompt", "short");
      await store.set("agents.list", [{ id: "a" }, { id: "b" }]);
      assertEquals(store.warnings, []);
    },
  );
});

Deno.test("ConfigStore: an edit that only moves a duplicate id or an over-long prompt in agents.list is taken; one that adds one is not", async () => {
  const long = "p".repeat(120_000);
  // Removing an agent before the long prompt moves it from agents.list[1] to [0].
  await withStore(
    { agents: { list: [{ id: "a" }, { id: "c", systemPrompt: long }] } },
    {},
    async (store) => {
      await store.set("agents.list", [{ id: "c", systemPrompt: long }]);
      assertEquals(store.warnings.map((w) => w.path), ["agents.list[0].systemPrompt"]);
      // Inserting one before it moves it back: still the same prompt of the same agent.
      await store.set("agents.list", [{ id: "b" }, { id: "c", systemPrompt: long }]);
      assertEquals(store.warnings.map((w) => w.path), ["agents.list[1].systemPrompt"]);
      // The same text given to another agent, or other text to this one, is a new one.
      for (
        const list of [
          [{ id: "b", systemPrompt: long }, { id: "c", systemPrompt: long }],
          [{ id: "b" }, { id: "c", systemPrompt: long + "q" }],
        ]
      ) {
        const error = await assertRejects(
          () => store.set("agents.list", list),
          GatewayError,
          "System prompt of",
        );
        assertEquals((error.details?.issues as unknown[]).length, 1);
      }
      await assertRejects(
        () => store.set("agents.defaults.systemPrompt", long),
        GatewayError,
        "agents.defaults.systemPrompt",
      );
    },
  );
  // Removing an agent before a duplicate moves it from agents.list[2] to [1].
  await withStore(
    { agents: { list: [{ id: "a" }, { id: "b" }, { id: "b" }, { id: "c" }] } },
    {},
    async (store) => {
      await store.set("agents.list", [{ id: "b" }, { id: "b" }, { id: "c" }]);
      assertEquals(store.warnings.map((w) => w.path), ["agents.list[1].id"]);
      // A third "b", or a second "c", is a duplicate the file did not have.
      for (
        const [list, path] of [
          [[{ id: "b" }, { id: "b" }, { id: "c" }, { id: "b" }], "agents.list[3].id"],
          [[{ id: "b" }, { id: "b" }, { id: "c" }, { id: "c" }], "agents.list[3].id"],
        ] as const
      ) {
        const error = await assertRejects(
          () => store.set("agents.list", list),
          GatewayError,
          "Duplicate agent id",
        );
        assertEquals((error.details?.issues as { path: string }[]).map((i) => i.path), [path]);
      }
      await store.set("agents.list", [{ id: "c" }, { id: "b" }, { id: "b", name: "Two" }]);
      assertEquals(store.warnings.map((w) => w.path), ["agents.list[2].id"]);
    },
  );
});

Deno.test("ConfigStore: a bind that is no address locks no edit out, and an edit may fix it", async () => {
  await withStore({ gateway: { bind: "tailnet", port: 28911 } }, {}, async (store) => {
    assertEquals(await store.get("gateway.bind"), "tailnet");
    await store.set("gateway.port", 28912);
    assertEquals(store.current.gateway.port, 28912);
    // Another value that is no address is a new problem.
    await assertRejects(() => store.set("gateway.bind", "auto"), GatewayError, "gateway.bind");
    await store.set("gateway.bind", "loopback");
    assertEquals(store.current.gateway.bind, "loopback");
    // Not brought back by an edit.
    await assertRejects(() => store.set("gateway.bind", "tailnet"), GatewayError, "gateway.bind");
  });
});

Deno.test("ConfigStore: a gateway's own --auth-token and --bind count, as its start counts them", async () => {
  await withStore({}, {}, async (store) => {
    store.useStartOverrides({ authToken: true });
    await store.set("gateway.bind", "lan");
    assertEquals(store.current.gateway.bind, "lan");
  });
  await withStore({}, {}, async (store) => {
    // Started with --bind 0.0.0.0 --auth-token: dropping to password mode without a password
    // is still refused; the flag does not make that good.
    store.useStartOverrides({ bind: "0.0.0.0", authToken: true });
    await store.set("gateway.port", 19997);
    await assertRejects(() => store.set("gateway.auth.mode", "password"), GatewayError, "password");
  });
  // Given when opened, as `config set` does from the running gateway's record.
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-gateway-rules-" });
  const store = await ConfigStore.open(`${dir}/pyclaw.json`, {
    env: {},
    overrides: { authToken: true },
  });
  try {
    await store.set("gateway.bind", "lan");
    assertEquals(store.current.gateway.bind, "lan");
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
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
