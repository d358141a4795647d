/**
 * @module Security checks that tests/server/security_test.ts and protocol_test.ts leave out: HTTP
 * Bearer brute force, body limits with and without content-length, a real cross-origin page in
 * Chromium, and path containment of every string param of every method.
 */

import { join } from "node:path";
import type { Browser } from "playwright-core";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";
import { CHROMIUM_FLAGS } from "../../tools/browser/session.ts";
import { METHOD_TABLES } from "../../server/rpc_tables.ts";
import { readSkill } from "../../tools/skills/skill_catalog.ts";
import { FUZZ_CONFIG, paramKeys } from "./_fuzz.ts";

Deno.test("HTTP: brute-forcing Bearer tokens gets 429 RATE_LIMITED, then even the right token waits", async () => {
  // A remote client, as a trusted reverse proxy on this host names it (loopback is not locked out).
  await using gw = await startTestGateway({
    config: { gateway: { trustedProxies: ["127.0.0.1"] } },
  });
  const get = (token: string) =>
    fetch(`${gw.baseUrl}/v1/models`, {
      headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9" },
    });
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const response = await get(`guess-${i}`);
    statuses.push(response.status);
    const body = await response.json();
    if (response.status === 429) {
      assertEquals(body.error.code, "RATE_LIMITED");
      assert(Number(response.headers.get("retry-after")) > 0);
    }
  }
  assertEquals(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assertEquals(statuses.slice(5), [429, 429, 429]);
  const right = await get(TEST_TOKEN);
  await right.body?.cancel();
  assertEquals(right.status, 429);
});

Deno.test("HTTP: bodies over maxHttpBodyBytes are refused with 413, chunked ones included", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { maxHttpBodyBytes: 4096 } } },
  });
  const url = `${gw.baseUrl}/v1/chat/completions`;
  const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
  const big = JSON.stringify({
    model: "x",
    messages: [{ role: "user", content: "a".repeat(8000) }],
  });
  const sized = await fetch(url, { method: "POST", headers, body: big });
  assertEquals([sized.status, (await sized.json()).error.message], [
    413,
    "Request body too large (limit 4096 bytes)",
  ]);
  // A stream body goes out chunked, with no content-length for the gateway to check up front.
  const chunked = (text: string, pieces: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        const size = Math.ceil(bytes.length / pieces);
        for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
        controller.close();
      },
    });
  const streamed = await fetch(url, { method: "POST", headers, body: chunked(big, 8) });
  assertEquals(streamed.status, 413);
  await streamed.body?.cancel();
  // A small chunked body still reaches the route (which answers its own 400 for a bad model).
  const small = await fetch(url, {
    method: "POST",
    headers,
    body: chunked(JSON.stringify({ model: "nope/none", messages: [] }), 3),
  });
  assert(small.status !== 413 && small.status < 500, `status ${small.status}`);
  await small.body?.cancel();
});

Deno.test("Chromium: a page on another origin can open neither the WebSocket nor read the HTTP API", async () => {
  const page = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response("<!doctype html><title>elsewhere</title>", {
        headers: { "content-type": "text/html" },
      }),
  );
  const pageOrigin = `http://127.0.0.1:${page.addr.port}`;
  const { chromium } = await import("playwright-core");
  const browser: Browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    const attempt = (wsUrl: string, httpUrl: string, token: string) =>
      tab.evaluate(async ({ wsUrl, httpUrl, token }) => {
        const ws = await new Promise<string>((resolve) => {
          const socket = new WebSocket(wsUrl);
          socket.onopen = () => {
            socket.send(JSON.stringify({
              type: "req",
              id: "1",
              method: "connect",
              params: { auth: { token } },
            }));
          };
          socket.onmessage = (event) => {
            resolve(JSON.parse(event.data).ok ? "connected" : "refused");
            socket.close();
          };
          socket.onerror = () => resolve("error");
        });
        const read = async (init: RequestInit, path: string) => {
          try {
            const response = await fetch(httpUrl + path, init);
            return `read ${response.status}`;
          } catch {
            return "blocked";
          }
        };
        return {
          ws,
          models: await read({ headers: { authorization: `Bearer ${token}` } }, "/v1/models"),
          health: await read({}, "/health"),
        };
      }, { wsUrl, httpUrl, token });

    {
      await using gw = await startTestGateway();
      assertEquals(await attempt(gw.url, gw.baseUrl, TEST_TOKEN), {
        ws: "error",
        models: "blocked",
        health: "blocked",
      });
    }
    {
      await using gw = await startTestGateway({
        config: { gateway: { auth: { allowedOrigins: [pageOrigin] } } },
      });
      const allowed = await attempt(gw.url, gw.baseUrl, TEST_TOKEN);
      assertEquals(allowed.ws, "connected");
    }
  } finally {
    await browser.close();
    await page.shutdown();
  }
});

const CANARY = "CANARY-7f3a-secret";

Deno.test("every string param of every method stays inside the state dir", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-contain-" });
  const stateDir = join(root, "state");
  await Deno.mkdir(stateDir);
  const secrets = ["secret.jsonl", "secret.json", "secret.txt"];
  for (const name of secrets) await Deno.writeTextFile(join(root, name), `${CANARY}\n`);
  const targets = [
    ...["secret.jsonl", "secret.json", "secret"].flatMap((name) =>
      [1, 2, 3, 4, 5].map((up) => `${"../".repeat(up)}${name}`)
    ),
    join(root, "secret.jsonl"),
    join(root, "secret"),
    `agents/main/sessions/../../../../secret.jsonl`,
    "..",
    "/",
    `main/../../../secret`,
    "..%2f..%2fsecret.jsonl",
  ];
  try {
    await using gw = await startTestGateway({ stateDir, config: FUZZ_CONFIG });
    const client = await gw.connect();
    // A session to delete, should a path slip through to it.
    const keys = paramKeys(METHOD_TABLES);
    const skip = new Set([
      "chat.send",
      "chat.resend",
      "chat.edit",
      "cron.add",
      "config.set",
      "config.patch",
    ]);
    let calls = 0;
    for (const [method, names] of keys) {
      if (skip.has(method)) continue;
      for (const name of names) {
        for (const target of targets) {
          calls++;
          try {
            const result = await client.request(method, { [name]: target });
            assert(!JSON.stringify(result).includes(CANARY), `${method} ${name}=${target} leaked`);
          } catch (error) {
            const code = (error as { code?: string }).code;
            assert(
              code !== "INTERNAL_ERROR",
              `${method} ${name}=${target}: ${(error as Error).message}`,
            );
          }
        }
      }
    }
    assert(calls > 200, `calls ${calls}`);
    // Nothing outside the state dir was read out, changed, removed or created.
    for (const name of secrets) {
      assertEquals(await Deno.readTextFile(join(root, name)), `${CANARY}\n`);
    }
    const entries = (await Array.fromAsync(Deno.readDir(root))).map((e) => e.name).sort();
    assertEquals(entries, ["secret.json", "secret.jsonl", "secret.txt", "state"]);
    // The download route takes only its own id shape; traversal is the same 404.
    for (
      const path of [
        "/files/..%2f..%2fsecret.txt",
        "/files/../secret.txt",
        "/files/%2e%2e/secret.txt",
      ]
    ) {
      const response = await fetch(`${gw.baseUrl}${path}?token=x`);
      const text = await response.text();
      assert(!text.includes(CANARY) && response.status >= 400, `${path}: ${response.status}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("skills are read by listed name only: traversal names find nothing outside the roots", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-skills-" });
  try {
    const skillsDir = join(root, "state", "skills");
    await Deno.mkdir(join(skillsDir, "real"), { recursive: true });
    await Deno.writeTextFile(
      join(skillsDir, "real", "SKILL.md"),
      "---\nname: real\ndescription: A real skill\n---\nDo the real thing\n",
    );
    await Deno.mkdir(join(root, "secret"));
    await Deno.writeTextFile(
      join(root, "secret", "SKILL.md"),
      `---\nname: secret\ndescription: Outside\n---\n${CANARY}\n`,
    );
    const roots = { dirs: [], stateSkillsDir: skillsDir, baseDir: join(root, "state") };
    assertEquals((await readSkill(roots, "real"))?.body, "Do the real thing");
    for (
      const name of [
        "../secret",
        "../../secret",
        join(root, "secret"),
        "secret",
        "real/../../secret",
      ]
    ) {
      assertEquals(await readSkill(roots, name), undefined, name);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
