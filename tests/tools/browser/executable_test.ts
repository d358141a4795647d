import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import {
  findBrowserExecutable,
  readBrowserVersion,
  systemCandidates,
} from "../../../tools/browser/executable.ts";

const SYSTEM_CHROMIUM = "/usr/bin/chromium";

Deno.test("findBrowserExecutable prefers the config, then PYCLAW_BROWSER_PATH, then the system", async () => {
  const fromConfig = await findBrowserExecutable({ configured: SYSTEM_CHROMIUM, env: {} });
  assertEquals(fromConfig, { path: SYSTEM_CHROMIUM, source: "config" });
  const fromEnv = await findBrowserExecutable({ env: { PYCLAW_BROWSER_PATH: SYSTEM_CHROMIUM } });
  assertEquals(fromEnv, { path: SYSTEM_CHROMIUM, source: "env" });
  const fromSystem = await findBrowserExecutable({ env: { PATH: "/usr/bin" }, os: "linux" });
  assertEquals(fromSystem.source, "system");
  assert(fromSystem.path.startsWith("/"));
});

Deno.test("findBrowserExecutable names a wrong path and explains how to install a browser", async () => {
  const wrong = await assertRejects(
    () => findBrowserExecutable({ configured: "/nope/chrome", env: {} }),
    GatewayError,
  );
  assertEquals(wrong.code, "NOT_FOUND");
  assertMatch(wrong.message, /browser\.executablePath.*\/nope\/chrome/);
  const plainFile = await Deno.makeTempFile();
  try {
    await Deno.chmod(plainFile, 0o644);
    const notExecutable = await assertRejects(
      () => findBrowserExecutable({ env: { PYCLAW_BROWSER_PATH: plainFile } }),
      GatewayError,
    );
    assertMatch(notExecutable.message, /PYCLAW_BROWSER_PATH.*not executable/);
  } finally {
    await Deno.remove(plainFile);
  }
  // A Windows machine with none of the usual folders has nothing to find.
  const none = await assertRejects(
    () => findBrowserExecutable({ env: {}, os: "windows" }),
    GatewayError,
  );
  assertMatch(none.message, /No Chromium-based browser found.*apt-get install chromium/);
});

Deno.test("systemCandidates covers the usual places on each platform", () => {
  assert(systemCandidates("linux", { PATH: "/opt/bin" }).includes("/opt/bin/google-chrome"));
  assert(
    systemCandidates("darwin", {}).includes(
      "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    ),
  );
  assert(
    systemCandidates("windows", { PROGRAMFILES: "C:\\Program Files" }).includes(
      "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    ),
  );
});

Deno.test("readBrowserVersion reads the installed Chromium's version", async () => {
  assertMatch((await readBrowserVersion(SYSTEM_CHROMIUM)) ?? "", /Chromium \d+\./);
  assertEquals(await readBrowserVersion("/nope/chrome"), undefined);
});
