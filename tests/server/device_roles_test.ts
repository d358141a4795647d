import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { startChatGateway } from "../_helpers/chat_gateway.ts";
import type { TestGateway } from "../_helpers/gateway.ts";
import { GatewayError } from "../../core/errors.ts";
import { methodScope } from "../../server/method_scopes.ts";
import { METHOD_TABLES } from "../../server/rpc_tables.ts";

interface Paired {
  deviceId: string;
  role: string;
  token: string;
}

/** Pairs a device through the real methods, as the gateway token's holder. */
async function pair(
  gw: TestGateway,
  deviceName: string,
  role?: "viewer" | "operator" | "admin",
): Promise<Paired> {
  const owner = await gw.connect();
  try {
    const { code } = await owner.request("device.initiate", {
      deviceName,
      ...(role ? { role } : {}),
    });
    const result = await owner.request("device.complete", { code, response: "accept" });
    assert(result.paired);
    return result;
  } finally {
    owner.close();
  }
}

async function refusal(call: () => Promise<unknown>): Promise<GatewayError> {
  return await assertRejects(call, GatewayError);
}

Deno.test("a paired device chats, reads and approves, but cannot widen the host's exposure", async () => {
  await using env = await startChatGateway();
  const { gw } = env;
  const phone = await pair(gw, "phone");
  assertEquals(phone.role, "operator");
  const device = await gw.connect({ token: phone.token, clientName: "phone" });

  env.upstream.reply({ text: "Hi from the model" });
  const answer = await device.request("chat.send", { message: "Hi" });
  assertEquals(answer.completed, true);
  assertEquals((await device.request("health")).status, "ok");
  await device.request("tools.list");
  // Approvals are the device's to give: an unknown request is NOT_FOUND, not a refusal.
  const approve = await refusal(() =>
    device.request("tools.exec_approve", { requestId: "nope", approved: true })
  );
  assertEquals(approve.code, "NOT_FOUND");

  const before = await Deno.readTextFile(gw.configPath);
  const attempts: [string, Record<string, unknown>][] = [
    ["config.set", { key: "tools.exec.policy", value: "allow" }],
    ["config.set", { key: "tools.exec.allowPatterns", value: ["*"] }],
    ["config.patch", { patch: { tools: { exec: { policy: "allow" } } } }],
    ["config.patch", {
      patch: { tools: { mcpServers: { evil: { command: "sh", args: ["-c", "id"] } } } },
    }],
    ["device.initiate", { deviceName: "another" }],
    ["device.revoke", { deviceId: phone.deviceId }],
    ["device.setRole", { deviceId: phone.deviceId, role: "admin" }],
    ["backup.export", {}],
    ["cron.add", { name: "x", schedule: "* * * * *", message: "hi" }],
    ["browser.evaluate", { expression: "1" }],
  ];
  for (const [method, params] of attempts) {
    const error = await refusal(() => device.request(method, params));
    assertEquals(error.code, "AUTH_REQUIRED", method);
    assertMatch(
      error.message,
      new RegExp(`role "operator" may not call ${method.replace(".", "\\.")}`),
    );
  }
  // Nothing changed: the config file, the device's role, and no new device was paired.
  assertEquals(await Deno.readTextFile(gw.configPath), before);
  assertEquals(gw.configStore.current.tools.exec.policy, "ask");
  const owner = await gw.connect();
  const list = await owner.request(
    "device.list",
  );
  assertEquals(list.devices.map((d) => [d.deviceId, d.role]), [[phone.deviceId, "operator"]]);
  // The gateway token keeps every right.
  await owner.request("config.set", { key: "tools.exec.approvalTimeoutMs", value: 5000 });
  assertEquals(gw.configStore.current.tools.exec.approvalTimeoutMs, 5000);
});

Deno.test("roles are set by an admin at pairing or later, take effect at once, and persist", async () => {
  await using env = await startChatGateway();
  const { gw } = env;
  const viewer = await pair(gw, "wall screen", "viewer");
  const laptop = await pair(gw, "laptop", "admin");
  assertEquals([viewer.role, laptop.role], ["viewer", "admin"]);

  const screen = await gw.connect({ token: viewer.token });
  assertEquals((await screen.request("health")).status, "ok");
  const chat = await refusal(() => screen.request("chat.send", { message: "Hi" }));
  assertEquals(chat.code, "AUTH_REQUIRED");
  assertMatch(chat.message, /role "viewer" may not call chat\.send/);
  assertEquals(env.upstream.requests.length, 0);

  // An admin device holds the gateway's rights: it may change config and other devices' roles.
  const admin = await gw.connect({ token: laptop.token });
  await admin.request("config.set", { key: "tools.exec.approvalTimeoutMs", value: 7000 });
  assertEquals(
    await admin.request("device.setRole", { deviceId: viewer.deviceId, role: "operator" }),
    { deviceId: viewer.deviceId, role: "operator" },
  );
  env.upstream.reply({ text: "now allowed" });
  const answer = await screen.request("chat.send", { message: "Hi" });
  assertEquals(answer.completed, true);
  // …and down again, seen by the device's open connection on its next call.
  await admin.request("device.setRole", { deviceId: laptop.deviceId, role: "viewer" });
  const demoted = await refusal(() =>
    admin.request("config.set", { key: "tools.exec.policy", value: "allow" })
  );
  assertMatch(demoted.message, /role "viewer" may not call config\.set/);
  const bad = await refusal(() =>
    gw.connect().then((c) => c.request("device.setRole", { deviceId: "x", role: "root" }))
  );
  assertEquals(bad.code, "INVALID_PARAMS");

  const stored = JSON.parse(await Deno.readTextFile(gw.paths.pairingsFile)) as {
    devices: { name: string; role: string }[];
  };
  assertEquals(stored.devices.map((d) => [d.name, d.role]), [
    ["wall screen", "operator"],
    ["laptop", "viewer"],
  ]);
});

Deno.test("the OpenAI-compatible API answers a device token's chat", async () => {
  await using env = await startChatGateway();
  const phone = await pair(env.gw, "phone");
  env.upstream.reply({ text: "Hello device" });
  const sdk = new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: phone.token, maxRetries: 0 });
  const completion = await sdk.chat.completions.create({
    model: "fake/gpt-test",
    messages: [{ role: "user", content: "Hi" }],
  });
  assertEquals(completion.choices[0].message.content, "Hello device");
});

Deno.test("every method has a deliberate scope; config writes and pairing are admin-only", () => {
  const methods = METHOD_TABLES.flatMap((table) => Object.keys(table));
  for (const method of ["config.set", "config.patch", "device.initiate", "device.revoke"]) {
    assertEquals(methodScope(method), "admin", method);
  }
  for (const method of ["device.setRole", "backup.export", "cron.add", "browser.evaluate"]) {
    assertEquals(methodScope(method), "admin", method);
  }
  assertEquals(methodScope("chat.send"), "chat");
  assertEquals(methodScope("tools.exec_approve"), "approvals");
  assertEquals(methodScope("sessions.list"), "read");
  // A method nobody classified is admin-only; the read/chat lists name only real methods.
  assertEquals(methodScope("some.future"), "admin");
  assert(methods.includes("device.setRole"));
});
