import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import { pidsMentioning, pngSize, startPageServer } from "../../_helpers/browser_pages.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import type { GatewayClient } from "../../../core/protocol/client.ts";

async function rejectsWith(code: string, call: () => Promise<unknown>): Promise<GatewayError> {
  const error = await assertRejects(call, GatewayError);
  assertEquals(error.code, code, error.message);
  return error;
}

function decodeB64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

type Tab = { tabId: string; url: string; title: string; active: boolean };

// One gateway and one Chromium for the whole family: launching is the slow part.
Deno.test("browser.* drive a real Chromium through the gateway", async (t) => {
  await using site = startPageServer();
  await using gw = await startInProcessGateway();
  const client: GatewayClient = await gw.connect();

  await t.step("status before start reports a stopped default profile", async () => {
    const status = await client.request("browser.status");
    assertEquals(status.started, false);
    assertEquals(status.profile, "default");
    assertEquals(status.tabCount, 0);
  });

  let sessionId = "";
  await t.step("start launches Chromium once; a second start is the same session", async () => {
    const started = await client.request("browser.start");
    assertEquals(started.started, true);
    assert(started.sessionId.length > 0);
    sessionId = started.sessionId;
    const again = await client.request("browser.start");
    assertEquals(again.sessionId, sessionId);
    const status = await client.request("browser.status");
    assertEquals(status.started, true);
    assertEquals(status.sessionId, sessionId);
    assertEquals(status.tabCount, 1);
    assertMatch(String(status.browserVersion), /^\d+\./);
  });

  let homeTab = "";
  await t.step("open loads a page in a new current tab", async () => {
    const opened = await client.request(
      "browser.open",
      { url: `${site.base}/` },
    );
    assertEquals(opened.opened, true);
    assertEquals(opened.title, "Home");
    assertEquals(opened.url, `${site.base}/`);
    homeTab = opened.tabId;
    const { tabs } = await client.request("browser.tabs");
    assertEquals(tabs.length, 2);
    assertEquals(tabs.find((tab) => tab.active)?.tabId, homeTab);
  });

  await t.step("navigate, click and evaluate see the page change", async () => {
    const nav = await client.request("browser.navigate", { url: `${site.base}/click` });
    assertEquals(nav.navigated, true);
    assertEquals(nav.title, "Click");
    assertEquals(nav.url, `${site.base}/click`);
    const before = await client.request("browser.evaluate", {
      fn: "document.getElementById('out').textContent",
    });
    assertEquals(before.result, "waiting");
    assertEquals(await client.request("browser.click", { ref: "#btn" }), {
      clicked: true,
      ref: "#btn",
    });
    const after = await client.request("browser.evaluate", {
      fn: "() => document.getElementById('out').textContent",
    });
    assertEquals(after.result, "clicked");
  });

  await t.step("click on a link navigates the tab", async () => {
    await client.request("browser.navigate", { url: `${site.base}/` });
    await client.request("browser.click", { ref: "#to-click" });
    const status = await client.request("browser.status");
    assertEquals(status.url, `${site.base}/click`);
  });

  await t.step("type fills inputs, and submit presses Enter", async () => {
    await client.request("browser.navigate", { url: `${site.base}/form` });
    assertEquals(await client.request("browser.type", { ref: "#bio", text: "likes maths" }), {
      typed: true,
      ref: "#bio",
    });
    await client.request("browser.type", { ref: "#name", text: "Ada" });
    const values = await client.request("browser.evaluate", {
      fn: "() => [document.querySelector('#name').value, document.querySelector('#bio').value]",
    });
    assertEquals(values.result, ["Ada", "likes maths"]);
    await client.request("browser.type", { ref: "#name", text: "Grace", submit: true });
    const status = await client.request("browser.status");
    assertEquals(status.url, `${site.base}/submitted?name=Grace`);
  });

  await t.step("screenshot is a PNG of the viewport, fullPage of the whole page", async () => {
    await client.request("browser.navigate", { url: `${site.base}/tall` });
    const shot = await client.request(
      "browser.screenshot",
    );
    assertEquals(shot.mimeType, "image/png");
    const bytes = decodeB64(shot.screenshotB64);
    assertEquals(shot.sizeBytes, bytes.byteLength);
    assertEquals(pngSize(bytes), { width: 1280, height: 800 });
    const full = await client.request("browser.screenshot", { fullPage: true });
    assertEquals(pngSize(decodeB64(full.screenshotB64)), { width: 1280, height: 3000 });
  });

  await t.step("snapshot returns the HTML length and its beginning", async () => {
    await client.request("browser.navigate", { url: `${site.base}/` });
    const snap = await client.request("browser.snapshot");
    assert(snap.htmlLength > 100);
    assertMatch(snap.htmlPreview, /^<!DOCTYPE html><html>/i);
    assert(snap.htmlPreview.includes("Home page"));
  });

  await t.step("evaluate returns values of expressions, functions and promises", async () => {
    assertEquals((await client.request("browser.evaluate", { fn: "1 + 2" })).result, 3);
    assertEquals(
      (await client.request("browser.evaluate", { fn: "() => ({ a: [1, 'b', null] })" })).result,
      {
        a: [1, "b", null],
      },
    );
    assertEquals(
      (await client.request("browser.evaluate", {
        fn: "async () => { await 0; return document.title }",
      }))
        .result,
      "Home",
    );
    assertEquals(
      (await client.request("browser.evaluate", { fn: "function () { return 7 * 6 }" })).result,
      42,
    );
    assertEquals((await client.request("browser.evaluate", { fn: "undefined" })).result, null);
    const error = await rejectsWith(
      "INVALID_PARAMS",
      () => client.request("browser.evaluate", { fn: "throw new Error('boom')" }),
    );
    assertMatch(error.message, /boom/);
  });

  await t.step("focus and close keep a well-defined current tab", async () => {
    const second = await client.request("browser.open", { url: `${site.base}/second` });
    const third = await client.request("browser.open", { url: `${site.base}/third` });
    assertEquals((await client.request("browser.status")).currentTabId, third.tabId);
    assertEquals(await client.request("browser.focus", { tabId: homeTab }), {
      focused: true,
      tabId: homeTab,
    });
    assertEquals((await client.request("browser.status")).currentTabId, homeTab);
    assertEquals(
      (await client.request("browser.evaluate", { fn: "location.pathname" })).result,
      "/",
    );
    // Closing the current tab makes the one used before it current.
    assertEquals(await client.request("browser.close", { tabId: homeTab }), {
      closed: true,
      tabId: homeTab,
    });
    assertEquals((await client.request("browser.status")).currentTabId, third.tabId);
    await client.request("browser.close", { tabId: third.tabId });
    assertEquals((await client.request("browser.status")).currentTabId, second.tabId);
    const { tabs } = await client.request("browser.tabs");
    assert(!tabs.some((tab) => tab.tabId === homeTab || tab.tabId === third.tabId));
    assertEquals(tabs.filter((tab) => tab.active).map((tab) => tab.tabId), [second.tabId]);
    await rejectsWith("NOT_FOUND", () => client.request("browser.focus", { tabId: homeTab }));
    await rejectsWith("NOT_FOUND", () => client.request("browser.close", { tabId: "t999999" }));
  });

  await t.step("bad URLs are INVALID_PARAMS and open no tab", async () => {
    const before = (await client.request("browser.tabs")).tabs.length;
    for (const url of ["not a url", "file:///etc/passwd", "javascript:alert(1)", ""]) {
      await rejectsWith("INVALID_PARAMS", () => client.request("browser.open", { url }));
      await rejectsWith("INVALID_PARAMS", () => client.request("browser.navigate", { url }));
    }
    assertEquals((await client.request("browser.tabs")).tabs.length, before);
  });

  await t.step("timeouts are clear errors and the browser stays usable", async () => {
    const missing = await rejectsWith(
      "NOT_FOUND",
      () => client.request("browser.click", { ref: "#nope", timeoutMs: 300 }),
    );
    assertMatch(missing.message, /#nope.*300 ms/);
    await rejectsWith(
      "INVALID_PARAMS",
      () => client.request("browser.click", { ref: "##", timeoutMs: 300 }),
    );
    const slow = await rejectsWith(
      "INTERNAL_ERROR",
      () => client.request("browser.navigate", { url: `${site.base}/slow`, timeoutMs: 500 }),
    );
    assertMatch(slow.message, /timed out after 500 ms/);
    const nav = await client.request("browser.navigate", { url: `${site.base}/after` });
    assertEquals(nav.title, "after");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = listener.addr.port;
    listener.close();
    const refused = await rejectsWith(
      "INTERNAL_ERROR",
      () => client.request("browser.navigate", { url: `http://127.0.0.1:${closedPort}/` }),
    );
    assertMatch(refused.message, /ERR_CONNECTION_REFUSED/);
    assertEquals((await client.request("browser.evaluate", { fn: "1" })).result, 1);
  });

  await t.step("profiles: create, validate names, keep cookies apart, delete", async () => {
    const listed = await client.request(
      "browser.profiles",
    );
    assertEquals(listed.profiles.map((p) => [p.name, p.running]), [["default", true]]);
    assertEquals((await client.request("browser.createProfile", { name: "work" })).created, true);
    await rejectsWith(
      "ALREADY_EXISTS",
      () => client.request("browser.createProfile", { name: "work" }),
    );
    await rejectsWith(
      "ALREADY_EXISTS",
      () => client.request("browser.createProfile", { name: "default" }),
    );
    for (const name of ["../x", "a/b", "Work", "", ".hidden", "x".repeat(65)]) {
      await rejectsWith("INVALID_PARAMS", () => client.request("browser.createProfile", { name }));
      await rejectsWith(
        "INVALID_PARAMS",
        () => client.request("browser.status", { profile: name }),
      );
    }
    await rejectsWith("NOT_FOUND", () => client.request("browser.start", { profile: "nope" }));
    await rejectsWith("NOT_FOUND", () => client.request("browser.deleteProfile", { name: "nope" }));

    await client.request("browser.navigate", { url: `${site.base}/cookie/set?v=vanilla` });
    await client.request("browser.open", {
      url: `${site.base}/cookie/set?v=mint`,
      profile: "work",
    });
    await client.request("browser.navigate", { url: `${site.base}/cookie/show` });
    await client.request("browser.navigate", { url: `${site.base}/cookie/show`, profile: "work" });
    const cookie = (profile: string) =>
      client.request("browser.evaluate", {
        fn: "document.querySelector('#c').textContent",
        profile,
      });
    assertEquals((await cookie("default")).result, "flavour=vanilla");
    assertEquals((await cookie("work")).result, "flavour=mint");

    const error = await rejectsWith(
      "INVALID_PARAMS",
      () => client.request("browser.deleteProfile", { name: "work" }),
    );
    assertMatch(error.message, /running/);
    await rejectsWith(
      "INVALID_PARAMS",
      () => client.request("browser.deleteProfile", { name: "default" }),
    );
    assertEquals(await client.request("browser.stop", { profile: "work" }), { started: false });
    assertEquals(
      (await client.request("browser.status")).started,
      true,
      "the default profile runs on",
    );
    assertEquals(await client.request("browser.deleteProfile", { name: "work" }), {
      deleted: true,
    });
    const after = await client.request("browser.profiles");
    assertEquals(after.profiles.map((p) => p.name), ["default"]);
  });

  await t.step("stop ends the session; the profile's cookies survive a restart", async () => {
    assertEquals(await client.request("browser.stop"), { started: false });
    assertEquals((await client.request("browser.status")).started, false);
    assertEquals((await client.request("browser.tabs")).tabs, []);
    await rejectsWith("NOT_FOUND", () => client.request("browser.focus", { tabId: homeTab }));
    // A method on a stopped browser starts it (browser.autoStart defaults to true).
    const opened = await client.request("browser.open", { url: `${site.base}/cookie/show` });
    assertEquals(opened.opened, true);
    assertEquals(
      (await client.request("browser.evaluate", { fn: "document.querySelector('#c').textContent" }))
        .result,
      "flavour=vanilla",
    );
    assert((await client.request("browser.status")).sessionId !== sessionId);
  });
});

Deno.test("browser methods with autoStart off need browser.start first", async () => {
  await using gw = await startInProcessGateway({ config: { browser: { autoStart: false } } });
  const client = await gw.connect();
  const error = await rejectsWith(
    "NOT_FOUND",
    () => client.request("browser.navigate", { url: "about:blank" }),
  );
  assertMatch(error.message, /browser\.start/);
  await rejectsWith("NOT_FOUND", () => client.request("browser.screenshot", {}));
  assertEquals((await client.request("browser.status")).started, false);
});

Deno.test("browser.start without a browser says how to install one", async () => {
  await using gw = await startInProcessGateway({
    config: { browser: { executablePath: "/nonexistent/chromium" } },
  });
  const client = await gw.connect();
  const error = await rejectsWith("NOT_FOUND", () => client.request("browser.start"));
  assertMatch(error.message, /\/nonexistent\/chromium/);
  assertEquals((await client.request("browser.status")).started, false);
});

Deno.test("closing the gateway leaves no Chromium behind", async () => {
  const gw = await startInProcessGateway();
  let closed = false;
  try {
    const client = await gw.connect();
    await client.request("browser.start");
    const profileDir = `${gw.paths.browserDir}/profiles/default`;
    assert((await pidsMentioning(profileDir)).length > 0, "Chromium runs on the profile");
    closed = true;
    await gw.close();
    assertEquals(await pidsMentioning(profileDir), []);
  } finally {
    if (!closed) await gw.close();
  }
});

Deno.test("browser methods with browser.enabled off are refused, status still answers", async () => {
  await using gw = await startInProcessGateway({ config: { browser: { enabled: false } } });
  const client = await gw.connect();
  const error = await rejectsWith("INVALID_PARAMS", () => client.request("browser.start"));
  assertMatch(error.message, /browser\.enabled/);
  await rejectsWith("INVALID_PARAMS", () => client.request("browser.open", { url: "about:blank" }));
  const status = await client.request("browser.status");
  assertEquals([status.started, status.enabled], [false, false]);
});

Deno.test("a browser that dies is reported stopped and starts again on the next call", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const first = await client.request("browser.start");
  const profileDir = `${gw.paths.browserDir}/profiles/default`;
  for (const pid of await pidsMentioning(profileDir)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone with its parent
    }
  }
  await waitFor(
    async () => !(await client.request("browser.status")).started,
    20_000,
    "the killed browser to read as stopped",
  );
  const opened = await client.request("browser.open", { url: "about:blank" });
  assertEquals(opened.opened, true);
  const again = await client.request("browser.status");
  assert(again.sessionId !== first.sessionId);
});

Deno.test("browser.tabs and browser.stop of an unknown profile are NOT_FOUND, as browser.status is", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  for (const method of ["browser.status", "browser.tabs", "browser.stop"] as const) {
    const error = await rejectsWith(
      "NOT_FOUND",
      () => client.request(method, { profile: "nosuch" }),
    );
    assertEquals(error.message, "Browser profile not found: nosuch");
  }
  // A profile that exists but has no browser running has no tabs.
  assertEquals(await client.request("browser.tabs", {}), { tabs: [] });
  assertEquals(await client.request("browser.stop", {}), { started: false });
});
