/**
 * End-to-end tests of the Control UI in real Chromium (playwright-core): the gateway serves the
 * page, the app signs in over the WebSocket and drives chat, approvals, sessions and the status
 * screens against a stand-in model provider. Screenshots of the main screens are saved under
 * `.tmp/screenshots/control-ui/` (or `$PYCLAW_SCREENSHOTS_DIR`) for review.
 */

import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { startChatGateway } from "../_helpers/chat_gateway.ts";
import { everythingStdio } from "../_helpers/mcp.ts";
import { TEST_TOKEN } from "../_helpers/gateway.ts";
import { CHROMIUM_FLAGS } from "../../tools/browser/session.ts";
import { contentSecurityPolicy } from "../../server/ui/ui_routes.ts";
import { startGateway } from "../../server/gateway.ts";
import { ConfigStore } from "../../core/config/store.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";

const SHOTS = Deno.env.get("PYCLAW_SCREENSHOTS_DIR") ??
  join(new URL("../../.tmp/screenshots/control-ui", import.meta.url).pathname);

interface Restarted {
  close(): Promise<void>;
}

/** Starts a gateway again on a fixed port over a kept state dir (the test helper picks port 0). */
async function restartGateway(stateDir: string, port: number): Promise<Restarted> {
  const env = { PYCLAW_STATE_DIR: stateDir };
  const paths = statePaths(stateDir);
  const configStore = await ConfigStore.open(join(stateDir, "pyclaw.json"), { env, watch: false });
  const logger = new Logger({ file: paths.logFile, level: "debug", consoleLevel: "silent" });
  const gateway = await startGateway({
    configStore,
    paths,
    logger,
    env,
    port,
    bind: "127.0.0.1",
    authToken: TEST_TOKEN,
    httpPort: false,
  });
  return {
    async close() {
      await gateway.close();
      configStore.close();
      logger.close();
    },
  };
}

async function shot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

Deno.test("Control UI assets are served with types, a strict CSP and cache headers", async () => {
  await using env = await startChatGateway({ httpPort: 0 });
  const base = env.gw.baseUrl;
  const page = await fetch(`${base}/`);
  const html = await page.text();
  assertEquals(page.status, 200);
  assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
  assertEquals(page.headers.get("cache-control"), "no-cache");
  const csp = page.headers.get("content-security-policy") ?? "";
  assertMatch(csp, /default-src 'none'/);
  assertMatch(csp, /script-src 'self'(;|$)/);
  assert(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), csp);
  assertMatch(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${env.gw.gateway.port}`));
  assertEquals(page.headers.get("x-content-type-options"), "nosniff");
  // No inline code at all: the page only names its hashed files.
  assert(!/<script>|<script [^>]*>[^<]/.test(html), "inline script");
  assert(!/<style|style="/.test(html), "inline style");
  const script = html.match(/src="(\/ui\/app\.[0-9a-f]{12}\.js)"/)?.[1];
  const style = html.match(/href="(\/ui\/app\.[0-9a-f]{12}\.css)"/)?.[1];
  assert(script && style, html);

  const js = await fetch(`${base}${script}`);
  assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assertEquals(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert((await js.text()).length > 10_000);
  const css = await fetch(`${base}${style}`);
  assertEquals(css.headers.get("content-type"), "text/css; charset=utf-8");
  await css.body?.cancel();
  const again = await fetch(`${base}${script}`, {
    headers: { "if-none-match": js.headers.get("etag")! },
  });
  assertEquals(again.status, 304);
  await again.body?.cancel();
  const missing = await fetch(`${base}/ui/app.000000000000.js`);
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  const traversal = await fetch(`${base}/ui/..%2fpyclaw.json`);
  assertEquals(traversal.status, 404);
  await traversal.body?.cancel();
  // The second (HTTP) listener serves the same page, with its own address in the policy.
  const httpPort = env.gw.gateway.httpPort!;
  const onHttp = await fetch(`http://127.0.0.1:${httpPort}/`);
  assertEquals(await onHttp.text(), html);
  assertMatch(
    onHttp.headers.get("content-security-policy")!,
    new RegExp(`ws://127\\.0\\.0\\.1:${httpPort}`),
  );
  // A host header that is not a plain host:port is left out of the policy.
  assertEquals(contentSecurityPolicy("evil.example; script-src *").includes("evil"), false);
});

Deno.test("Control UI in Chromium: sign-in, streamed chat, abort, approvals, sessions, status", async (t) => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-ui-test-" });
  const env = await startChatGateway({
    stateDir,
    config: {
      tools: { sendFile: { inlineMaxBytes: 64 }, mcpServers: { everything: everythingStdio() } },
      agents: { defaults: { model: "fake/gpt-test" }, list: [{ id: "coder", name: "Coder" }] },
    },
  });
  let gatewayClosed = false;
  let restarted: Restarted | undefined;
  const base = env.gw.baseUrl;
  await Deno.mkdir(env.gw.paths.workspaceDir, { recursive: true });
  await Deno.writeTextFile(join(env.gw.paths.workspaceDir, "report.txt"), "quarterly numbers\n");
  await Deno.writeTextFile(join(env.gw.paths.workspaceDir, "big.csv"), "a,b\n".repeat(100));

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
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    // The methods the page calls, in order.
    const called: string[] = [];
    page.on("websocket", (socket) =>
      socket.on("framesent", ({ payload }) => {
        try {
          const frame = JSON.parse(String(payload));
          if (frame.type === "req") called.push(frame.method);
        } catch { /* not JSON */ }
      }));

    await t.step("a wrong token is refused with a clear message", async () => {
      await page.goto(`${base}/`);
      await page.getByLabel("Gateway token").fill("not-the-token");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.locator("#sign-in-error");
      await alert.waitFor();
      assertMatch(await alert.innerText(), /refused the token: Invalid token/);
      // The token never appears in the URL.
      assert(!page.url().includes("not-the-token"));
      assertEquals(await page.evaluate("sessionStorage.length"), 0);
      // The refused connect was logged by the page as a failed WebSocket, not a script error.
      problems.length = 0;
    });

    await t.step("the right token signs in and is kept for the tab only", async () => {
      await page.getByLabel("Gateway token").fill(TEST_TOKEN);
      await page.keyboard.press("Enter");
      await page.getByRole("status").filter({ hasText: "Connected" }).waitFor();
      assert(!page.url().includes(TEST_TOKEN));
      assertEquals(
        await page.evaluate('sessionStorage.getItem("pyclaw.control.token")'),
        TEST_TOKEN,
      );
      assertEquals(await page.evaluate("localStorage.length"), 0);
      // A reload signs in again from the tab's storage.
      await page.reload();
      await page.getByRole("status").filter({ hasText: "Connected" }).waitFor();
    });

    await t.step("a message streams the stand-in's answer in", async () => {
      // Held after "Hello" until the page has shown it still streaming, then complete: a paced
      // stream could finish before a busy machine painted the streaming state.
      const seen = Promise.withResolvers<void>();
      env.upstream.reply({
        chunks: ["Hello", " from", " the", " stand-in"],
        holdAfter: 1,
        release: seen.promise,
      });
      await page.getByLabel("Message", { exact: true }).fill("Hi there");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.locator(".msg.assistant.streaming", { hasText: "Hello" }).waitFor();
      seen.resolve();
      const answer = page.locator(".msg.assistant:not(.streaming)", {
        hasText: "Hello from the stand-in",
      });
      await answer.waitFor();
      assertEquals(await page.locator(".msg.user .text").last().innerText(), "Hi there");
      assertEquals(env.upstream.requests.at(-1)?.body.messages.at(-1).content, "Hi there");
      // The session is new: the picker's list is read again once the run is answered.
      await waitFor(() => called.lastIndexOf("sessions.list") > called.lastIndexOf("chat.send"));
    });

    await t.step("an attached file reaches the agent's workspace", async () => {
      await page.getByLabel("Attach").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("attached words\n"),
      });
      await page.getByRole("list", { name: "Attachments" }).getByText("notes.txt").waitFor();
      await page.getByLabel("Message", { exact: true }).fill("Read the notes");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.locator(".msg.assistant", { hasText: "Echo: Read the notes" }).waitFor();
      // Answered (the buttons of a finished run are back), in a session the picker lists: the
      // list, a stat per session file, is not read again.
      await page.getByRole("button", { name: "Regenerate" }).and(page.locator(":enabled"))
        .waitFor();
      assertEquals(called.slice(called.lastIndexOf("chat.send")), ["chat.send"]);
      assertEquals(await page.getByRole("list", { name: "Attachments" }).count(), 0);
      const sent = env.upstream.requests.at(-1)?.body.messages.at(-1).content as string;
      const path = sent.match(/\[Attached file: (\S+notes\.txt) \(text\/plain, 15 bytes\)\]/)?.[1];
      assert(path, sent);
      assertEquals(await Deno.readTextFile(path), "attached words\n");
    });

    await t.step("tool calls, results and files sent by send_file are shown", async () => {
      env.upstream.reply(
        {
          toolCalls: [
            { name: "send_file", arguments: { path: "report.txt" }, id: "f1" },
            { name: "send_file", arguments: { path: "big.csv", caption: "The table" }, id: "f2" },
          ],
        },
        { text: "Sent both files: `report.txt` and\n```csv\nbig.csv <b>not bold</b>\n```\n" },
      );
      await page.getByLabel("Message", { exact: true }).fill("Send me the report");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      const sent = page.locator(".msg.assistant", { hasText: "Sent both files" });
      await sent.waitFor();
      // Code is set apart, and markup in an answer stays text.
      assertEquals(await sent.locator("code").first().innerText(), "report.txt");
      assertEquals(await sent.locator("pre.code-block").innerText(), "big.csv <b>not bold</b>");
      assertEquals(await sent.locator("b").count(), 0);
      const tools = page.locator(".msg.tool");
      assertEquals(await tools.count(), 2);
      await tools.first().locator("summary").first().click();
      assertMatch(await tools.first().innerText(), /send_file[\s\S]*done[\s\S]*report\.txt/);
      // What the model read (chat.tool_result output) sits collapsed under the result.
      const read = tools.first().locator(".model-output");
      assertEquals(await read.locator("pre").isVisible(), false);
      await read.locator("summary").click();
      assertMatch(
        await read.locator("pre").innerText(),
        /^Sent report\.txt \(text\/plain.* inline$/,
      );
      // Inline bytes become a blob download; a large file a link to the gateway.
      const [inline] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download report.txt" }).click(),
      ]);
      assertEquals(inline.suggestedFilename(), "report.txt");
      assertEquals(await Deno.readTextFile((await inline.path())!), "quarterly numbers\n");
      const link = page.getByRole("link", { name: "Download big.csv" });
      assertMatch((await link.getAttribute("href"))!, /^\/files\/[A-Za-z0-9_-]+\?token=/);
      const [linked] = await Promise.all([page.waitForEvent("download"), link.click()]);
      assertEquals(await Deno.readTextFile((await linked.path())!), "a,b\n".repeat(100));
      await shot(page, "chat");
    });

    await t.step("Stop aborts a slow answer", async () => {
      env.upstream.reply({
        text: "This answer is very slow and will never finish because the user stops it",
        holdAfter: 1,
      });
      await page.getByLabel("Message", { exact: true }).fill("Tell me a long story");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.locator(".msg.assistant.streaming", { hasText: "This" }).waitFor();
      await page.getByRole("button", { name: "Stop" }).click();
      await page.locator(".msg.assistant", { hasText: "Stopped before the answer" }).waitFor();
      await env.upstream.waitForAborted(1);
      await page.getByRole("button", { name: "Send", exact: true }).waitFor();
    });

    await t.step("regenerate and edit the last message run again", async () => {
      env.upstream.reply({ text: "A complete story this time" });
      await page.getByRole("button", { name: "Regenerate" }).click();
      await page.locator(".msg.assistant", { hasText: "A complete story this time" }).waitFor();
      assertEquals(await page.locator(".msg.assistant", { hasText: "Stopped before" }).count(), 0);
      await page.getByRole("button", { name: "Edit last" }).click();
      const box = page.getByLabel("Edit your last message");
      assertEquals(await box.inputValue(), "Tell me a long story");
      await box.fill("Tell me a short story");
      await box.press("Enter");
      await page.locator(".msg.assistant", { hasText: "Echo: Tell me a short story" }).waitFor();
      assertEquals(
        await page.locator(".msg.user .text").last().innerText(),
        "Tell me a short story",
      );
      const history = await (await env.gw.connect()).request(
        "chat.history",
        { sessionId: "main" },
      );
      assertEquals(history.messages.filter((m) => m.role === "user").length, 4);
    });

    await t.step("an exec request is approved from the Approvals screen", async () => {
      env.upstream.reply(
        {
          toolCalls: [{ name: "exec", arguments: { command: "echo approved-from-ui" }, id: "x1" }],
        },
        { text: "Ran it" },
      );
      await page.getByLabel("Message", { exact: true }).fill("Run echo");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      // The chat shows the request inline too; the nav counts it.
      await page.locator(".msg.tool", { hasText: "running" }).waitFor();
      await page.getByRole("link", { name: /Approvals.*1 pending/ }).click();
      await page.getByRole("heading", { name: "Approvals" }).waitFor();
      await page.locator(".approval .command", { hasText: "echo approved-from-ui" }).waitFor();
      await shot(page, "approvals");
      await page.getByRole("button", { name: "Approve" }).click();
      await page.getByText("No command is waiting for approval.").waitFor();
      await page.getByRole("link", { name: "Chat" }).click();
      await page.locator(".msg.assistant", { hasText: "Ran it" }).waitFor();
      const tool = page.locator(".msg.tool").last();
      await tool.locator("summary").first().click();
      assertMatch(await tool.innerText(), /approved-from-ui/);
    });

    await t.step("sessions are listed, previewed, reset and deleted", async () => {
      const client = await env.gw.connect();
      await client.request("chat.send", { message: "scratch note", sessionId: "scratch" });
      await page.getByRole("link", { name: "Sessions" }).click();
      const row = page.getByRole("row").filter({
        has: page.getByRole("rowheader", { name: "main", exact: true }),
      });
      await row.waitFor();
      await page.getByRole("row", { name: /scratch/ }).waitFor();
      await row.getByRole("button", { name: "Preview main" }).click();
      await page.locator(".panel .msg.user", { hasText: "Run echo" }).waitFor();
      await shot(page, "sessions");
      const scratch = page.getByRole("row", { name: /scratch/ });
      await scratch.getByRole("button", { name: "Reset scratch" }).click();
      await scratch.getByRole("button", { name: "Yes, reset" }).click();
      await scratch.getByRole("cell", { name: "0 B" }).waitFor();
      const cleared = await client.request("chat.history", {
        sessionId: "scratch",
      });
      assertEquals(cleared.messages, []);
      await scratch.getByRole("button", { name: "Delete scratch" }).click();
      await scratch.getByRole("button", { name: "Yes, delete" }).click();
      await page.getByRole("row", { name: /scratch/ }).waitFor({ state: "detached" });
      const left = await client.request("sessions.list");
      assertEquals(left.sessions.map((s) => s.sessionId), ["main"]);
      // A session's name opens it in the chat.
      await page.getByRole("link", { name: "main", exact: true }).click();
      await page.getByRole("heading", { name: "Chat" }).waitFor();
      assertMatch(page.url(), /#\/chat\?agent=main&session=main$/);
      await page.locator(".msg.assistant", { hasText: "Ran it" }).waitFor();
    });

    await t.step("what others post and run in the open session shows as it happens", async () => {
      const client = await env.gw.connect();
      // Another session's agent posts into the open one (`message`): shown live, not on reload.
      env.upstream.reply(
        {
          toolCalls: [{
            name: "message",
            arguments: { channel: "session", recipient: "main", text: "Lunch is at noon" },
            id: "m1",
          }],
        },
        { text: "Posted." },
      );
      await client.request("chat.send", { message: "Tell main about lunch", sessionId: "relay" });
      await page.locator(".msg.assistant", { hasText: "Lunch is at noon" }).waitFor();
      // Another client runs a turn in the open session: its message shows before the answer.
      await client.request("chat.send", { message: "Sent from the CLI", sessionId: "main" });
      await page.locator(".msg.user", { hasText: "Sent from the CLI" }).waitFor();
      const texts = await page.locator(".messages .msg .text").allInnerTexts();
      assertEquals(texts.slice(-3), [
        "Lunch is at noon",
        "Sent from the CLI",
        "Echo: Sent from the CLI",
      ]);
      // The page sends while another client's turn streams: that turn ends while the page's
      // request is on its way (its run waits for the session), and once the request is answered
      // the screen shows both turns in the session's order.
      const seen = Promise.withResolvers<void>();
      env.upstream.reply({ chunks: ["Slow", " answer"], holdAfter: 1, release: seen.promise });
      const first = client.request("chat.send", { message: "CLI first", sessionId: "main" });
      await page.locator(".msg.assistant.streaming", { hasText: "Slow" }).waitFor();
      await page.getByLabel("Message", { exact: true }).fill("Page second");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.getByRole("button", { name: "Stop" }).waitFor();
      seen.resolve();
      await first;
      await page.locator(".msg.user", { hasText: "CLI first" }).waitFor();
      await page.getByRole("button", { name: "Send", exact: true }).waitFor();
      assertEquals((await page.locator(".messages .msg .text").allInnerTexts()).slice(-4), [
        "CLI first",
        "Slow answer",
        "Page second",
        "Echo: Page second",
      ]);
    });

    await t.step("another agent in a new session", async () => {
      await page.getByRole("link", { name: "Chat" }).click();
      await page.getByLabel("Agent").selectOption("coder");
      await page.getByRole("button", { name: "New session" }).click();
      assertMatch(await page.getByLabel("Session").inputValue(), /^web-\d{14}$/);
      await page.getByText("No messages yet.").waitFor();
      await page.getByLabel("Message", { exact: true }).fill("Hello coder");
      await page.getByLabel("Message", { exact: true }).press("Enter");
      await page.locator(".msg.assistant", { hasText: "Echo: Hello coder" }).waitFor();
      const client = await env.gw.connect();
      const { sessions } = await client.request(
        "sessions.list",
        { agentId: "coder" },
      );
      assertEquals(sessions.map((s) => s.sessionId), [
        await page.getByLabel("Session").inputValue(),
      ]);
    });

    await t.step(
      "status screens: usage chart, model probe, a real MCP server and tools, doctor, logs",
      async () => {
        await page.getByRole("link", { name: "Usage" }).click();
        await page.locator(".chart svg").waitFor();
        assertEquals(await page.locator(".chart svg rect.bar").count(), 30);
        assertMatch(await page.locator(".stats").innerText(), /Tokens\s*\d/);
        await page.getByRole("rowheader", { name: "fake/gpt-test" }).waitFor();
        await shot(page, "usage");

        await page.getByRole("link", { name: "Models" }).click();
        await page.getByRole("button", { name: "Probe fake/gpt-test" }).click();
        await page.getByText(/available, \d+ ms/).waitFor();
        await shot(page, "models");

        await page.getByRole("link", { name: "Tools & MCP" }).click();
        await page.locator(".tool-list code", { hasText: /^exec$/ }).waitFor();
        // The real MCP server connects in the background; Refresh shows it with its tools.
        const everything = page.getByRole("row").filter({
          has: page.getByRole("rowheader", { name: "everything" }),
        });
        for (let i = 0; !(await everything.getByText("connected").count()); i++) {
          assert(i < 100, "the MCP server never showed as connected");
          await page.waitForTimeout(100);
          await page.getByRole("button", { name: "Refresh" }).click();
        }
        await page.locator(".tool-list code", { hasText: "mcp:everything:echo" }).waitFor();
        await shot(page, "tools");

        await page.getByRole("link", { name: "Doctor" }).click();
        await page.locator(".checks .check").first().waitFor({ timeout: 60_000 });
        await shot(page, "doctor");

        await page.getByRole("link", { name: "Logs" }).click();
        await page.locator("pre.logs", { hasText: "gateway listening" }).waitFor();

        await page.getByRole("link", { name: "Cron" }).click();
        await page.getByText("No cron jobs.").waitFor();
        await page.getByRole("link", { name: "Channels" }).click();
        await page.getByRole("heading", { name: "Channels" }).waitFor();
        await page.locator("main .note, main table").first().waitFor();
      },
    );

    await t.step("keyboard alone: skip link, navigation and focus", async () => {
      await page.goto(`${base}/#/chat`);
      await page.reload();
      await page.getByRole("status").filter({ hasText: "Connected" }).waitFor();
      await page.keyboard.press("Tab");
      assertEquals(
        await page.evaluate("document.activeElement?.textContent"),
        "Skip to content",
      );
      await page.keyboard.press("Tab");
      assertEquals(await page.evaluate("document.activeElement?.textContent"), "Chat");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Sessions" }).waitFor();
      // The new screen's heading takes focus, so screen readers announce it. Polled from here:
      // `waitForFunction` with a string polls it in the page with `eval`, which the page's CSP
      // refuses whenever the first look comes before the focus moves (one failed run).
      await waitFor(
        async () => await page.evaluate("document.activeElement?.id") === "page-title",
        20_000,
        "the heading's focus",
      );
      await page.keyboard.press("Shift+Tab");
      const focused = await page.evaluate(
        "({ text: document.activeElement?.textContent, " +
          "outline: getComputedStyle(document.activeElement).outlineStyle })",
      );
      assertEquals(focused, { text: "Sign out", outline: "solid" });
    });

    await t.step("a phone-sized screen fits without sideways scrolling", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/#/chat`);
      await page.locator(".msg.assistant", { hasText: "Ran it" }).waitFor();
      const width = await page.evaluate<number>("document.documentElement.scrollWidth");
      assert(width <= 390, `page is ${width}px wide`);
      await shot(page, "chat-phone");
    });

    await t.step("signing out forgets the token", async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByLabel("Gateway token").waitFor();
      assertEquals(await page.evaluate("sessionStorage.length"), 0);
      await page.reload();
      await page.getByLabel("Gateway token").fill(TEST_TOKEN);
      await page.getByLabel("Gateway token").press("Enter");
      await page.getByRole("status").filter({ hasText: "Connected" }).waitFor();
    });

    await t.step("losing the gateway shows the retry state, and it reconnects", async () => {
      const port = env.gw.gateway.port;
      gatewayClosed = true;
      await env.gw.close();
      await page.getByRole("status").filter({ hasText: /retrying in \d+ s/ }).waitFor();
      assertMatch(
        await page.getByRole("status").innerText(),
        /(Connection lost|Cannot reach the gateway)/,
      );
      // The same gateway comes back on the same port and state: the tab signs in again by itself
      // and reloads the conversation, which gained a line while it was away.
      const line = { role: "assistant", content: "Written while away", time: new Date() };
      await Deno.writeTextFile(
        join(statePaths(stateDir).sessionsDir("main"), "main.jsonl"),
        JSON.stringify(line) + "\n",
        { append: true },
      );
      restarted = await restartGateway(stateDir, port);
      await page.getByRole("status").filter({ hasText: "Connected" }).waitFor({
        timeout: 20_000,
      });
      await page.locator(".msg.assistant", { hasText: "Written while away" }).waitFor();
    });

    assertEquals(problems.filter((p) => !p.includes("WebSocket")), []);
    await context.close();
  } finally {
    await browser.close();
    await restarted?.close();
    if (gatewayClosed) await env.upstream.close();
    else await env.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});
