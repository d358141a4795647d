import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import { REDACTED } from "../../../core/config/secrets.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";

Deno.test("config.get redacts secrets; a redacted value sent back keeps the secret", async () => {
  await using gw = await startInProcessGateway({
    config: { models: { providers: { openai: { apiKey: "sk-secret-value" } } } },
  });
  const client = await gw.connect();
  // A key's value has the type of that part of the config; the wire says `unknown`.
  const value = (await client.request("config.get", { key: "models.providers.openai" }))
    .value as Record<string, unknown>;
  assertEquals(value.apiKey, REDACTED);
  const whole = await client.request("config.get", {});
  assert(!JSON.stringify(whole).includes("sk-secret-value"));
  await client.request("config.set", {
    key: "models.providers.openai",
    value: { ...value, baseUrl: "http://127.0.0.1:9/v1" },
  });
  assertEquals(gw.configStore.current.models.providers.openai.apiKey, "sk-secret-value");
  assertEquals(gw.configStore.current.models.providers.openai.baseUrl, "http://127.0.0.1:9/v1");
});

Deno.test("config.set rejects unknown keys and bad values with INVALID_PARAMS, file unchanged", async () => {
  await using gw = await startInProcessGateway({ config: { logging: { level: "info" } } });
  const client = await gw.connect();
  const before = await Deno.readTextFile(gw.configPath);
  for (
    const params of [{ key: "gateway.nope", value: 1 }, { key: "logging.level", value: "loud" }, {
      key: "a..b",
      value: 1,
    }]
  ) {
    const error = await assertRejects(() => client.request("config.set", params), GatewayError);
    assertEquals(error.code, "INVALID_PARAMS");
  }
  const unknownGet = await assertRejects(
    () => client.request("config.get", { key: "nope.nothing" }),
    GatewayError,
  );
  assertEquals(unknownGet.code, "INVALID_PARAMS");
  assertEquals(await Deno.readTextFile(gw.configPath), before);
});

Deno.test("config.patch is all or nothing and refuses prototype keys", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const bad = await assertRejects(
    () =>
      client.request("config.patch", {
        patch: { logging: { level: "debug" }, gateway: { port: "x" } },
      }),
    GatewayError,
  );
  assertEquals(bad.code, "INVALID_PARAMS");
  assertEquals(gw.configStore.current.logging.level, "info");
  const proto = await assertRejects(
    () =>
      client.request("config.patch", { patch: JSON.parse('{"logging": {"__proto__": {"x": 1}}}') }),
    GatewayError,
  );
  assertEquals(proto.code, "INVALID_PARAMS");
  const ok = await client.request("config.patch", {
    patch: { logging: { level: "debug" }, gateway: { port: 18800 } },
  });
  assertEquals(ok.ok, true);
  assertEquals(ok.restartRequired, ["gateway.port"]);
  assertEquals(gw.configStore.current.logging.level, "debug");
});

Deno.test("config.patch refuses a top-level __proto__; a value nested 5,000 deep is INVALID_PARAMS", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const before = await Deno.readTextFile(gw.configPath);
  const proto = await assertRejects(
    () => client.request("config.patch", { patch: JSON.parse('{"__proto__": {"x": 1}}') }),
    GatewayError,
  );
  assertEquals(proto.code, "INVALID_PARAMS");
  assertEquals(proto.message, 'Forbidden key "__proto__" at "."');
  const deep = "[".repeat(5_000) + "1" + "]".repeat(5_000);
  for (
    const [method, params] of [
      ["config.set", `{"key":"agents.defaults.model","value":${deep}}`],
      ["config.patch", `{"patch":{"logging":${deep}}}`],
    ]
  ) {
    const error = await assertRejects(
      () => client.request(method, JSON.parse(params)),
      GatewayError,
    );
    assertEquals(error.code, "INVALID_PARAMS", `${method}: ${error.message}`);
  }
  assertEquals(await Deno.readTextFile(gw.configPath), before);
});

Deno.test("the gateway reloads an edited config file; a broken edit keeps the last good config", async () => {
  await using gw = await startInProcessGateway({
    watch: true,
    config: { logging: { level: "info" } },
  });
  const client = await gw.connect();
  const events: string[] = [];
  client.onEvent((frame) => events.push(frame.event));
  await Deno.writeTextFile(gw.configPath, '{ logging: { level: "warn" } }');
  await waitFor(() => gw.configStore.current.logging.level === "warn", 20_000, "reload");
  await Deno.writeTextFile(gw.configPath, "{ logging: { level: ");
  await waitFor(() => events.includes("config.error"), 20_000, "config.error event");
  assertEquals(gw.configStore.current.logging.level, "warn");
  const value = await client.request("config.get", { key: "logging.level" });
  assertEquals(value.value, "warn");
});

Deno.test("config.get of a declared key the config leaves unset answers value: null", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const unset = await client.request("config.get", { key: "agents.defaults.systemPrompt" });
  assertEquals(unset, { value: null });
});

Deno.test("config.set and config.patch that change nothing broadcast nothing; a real change does", async () => {
  await using gw = await startInProcessGateway({ config: { logging: { level: "info" } } });
  const client = await gw.connect();
  const changes: unknown[] = [];
  client.onEvent((frame) => {
    if (frame.event === "config.changed") changes.push(frame.payload);
  });
  const before = await Deno.readTextFile(gw.configPath);
  await client.request("config.set", { key: "logging.level", value: "info" });
  await client.request("config.patch", { patch: { logging: { level: "info" } } });
  assertEquals(await Deno.readTextFile(gw.configPath), before);
  // A change after them: its event is the first this client sees, so none came before it.
  await client.request("config.set", { key: "logging.level", value: "warn" });
  await waitFor(() => changes.length > 0, 20_000, "config.changed");
  assertEquals(changes, [{ changed: ["logging"] }]);
});

Deno.test("config.set and config.patch refuse what the gateway would refuse to start on", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const before = await Deno.readTextFile(gw.configPath);
  for (
    const [method, params, path] of [
      ["config.set", { key: "gateway.bind", value: "everywhere" }, "gateway.bind"],
      ["config.set", { key: "gateway.bind", value: "1.2.3.4.5" }, "gateway.bind"],
      ["config.set", { key: "gateway.bind", value: "lan" }, "gateway.auth.token"],
      ["config.set", { key: "gateway.auth.mode", value: "password" }, "gateway.auth.password"],
      [
        "config.patch",
        { patch: { gateway: { bind: "lan", auth: { mode: "none" } } } },
        "gateway.auth.mode",
      ],
      [
        "config.set",
        { key: "agents.list", value: [{ id: "main" }, { id: "main" }] },
        "agents.list[1].id",
      ],
      [
        "config.set",
        { key: "agents.defaults.systemPrompt", value: "x".repeat(100_001) },
        "agents.defaults.systemPrompt",
      ],
    ] as const
  ) {
    const error = await assertRejects(
      () => client.request(method as "config.set", params as never),
      GatewayError,
    );
    assertEquals(error.code, "INVALID_PARAMS");
    const issues = error.details?.issues as { path: string }[];
    assertEquals(issues[0].path, path, JSON.stringify(params).slice(0, 100));
  }
  assertEquals(await Deno.readTextFile(gw.configPath), before);
});
