import { existsSync } from "node:fs";
import { assert, assertEquals, assertMatch, assertRejects, waitFor } from "../_helpers/assert.ts";
import { toolContext } from "../_helpers/tool_context.ts";
import { HAS_XVFB, startXvfb } from "../_helpers/xvfb.ts";
import { desktopScreenshot, pngSize, screenshotSupport } from "../../tools/desktop_screenshot.ts";
import { planCapture } from "../../tools/_screen_capture.ts";

const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

Deno.test({
  name: "desktop_screenshot captures the whole X11 screen under Xvfb as a PNG",
  ignore: !HAS_XVFB || Deno.build.os !== "linux",
  async fn() {
    await using xvfb = await startXvfb(640, 480);
    await using t = await toolContext({ services: { env: { PATH, DISPLAY: xvfb.display } } });
    const shot = await t.call(desktopScreenshot, {});
    assertMatch(shot.content, /^Screenshot of the whole screen: 640x480 PNG/);
    assertEquals(shot.images?.length, 1);
    assertEquals(shot.images![0].mimeType, "image/png");
    const png = Uint8Array.from(atob(shot.images![0].base64), (c) => c.charCodeAt(0));
    assertEquals(pngSize(png), { width: 640, height: 480 });
    assertMatch(String((shot.data as { backend: string }).backend), /X11 ImageMagick import/);
    const support = await screenshotSupport({ PATH, DISPLAY: xvfb.display }, "linux");
    assertEquals(support.ok, true);
  },
});

Deno.test({
  name: "desktop_screenshot captures one X11 window by title, and names a missing one",
  ignore: !HAS_XVFB || Deno.build.os !== "linux" || !existsSync("/usr/bin/display"),
  async fn() {
    await using xvfb = await startXvfb(640, 480);
    const title = `pyclaw-${crypto.randomUUID().slice(0, 8)}`;
    // ImageMagick's viewer opens a real window of the image's size.
    const viewer = new Deno.Command("display", {
      args: ["-title", title, "-size", "200x100", "xc:red"],
      env: { DISPLAY: xvfb.display },
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await using t = await toolContext({ services: { env: { PATH, DISPLAY: xvfb.display } } });
      // The viewer maps its window at 201x101 and resizes it to the image a moment later (seen
      // under load), so wait for the window's final size rather than take the first capture.
      const expected = new RegExp(`^Screenshot of window "${title}": 200x100 PNG`);
      const shot = await waitFor(
        () =>
          t.call(desktopScreenshot, { window: title })
            .then((shot) => expected.test(shot.content) ? shot : undefined)
            .catch(() => undefined),
        20_000,
        "the viewer window at 200x100",
      );
      assertMatch(shot!.content, expected);
      const png = Uint8Array.from(atob(shot!.images![0].base64), (c) => c.charCodeAt(0));
      assertEquals(pngSize(png), { width: 200, height: 100 });
      const started = Date.now();
      await assertRejects(
        () => t.call(desktopScreenshot, { window: "no-such-window" }),
        Error,
        'Window not found: "no-such-window"',
      );
      // Well under the capture's 20 s limit, which a search that never gives up would hit.
      assert(Date.now() - started < 15_000, "a missing window fails fast");
    } finally {
      viewer.kill("SIGKILL");
      await viewer.status;
    }
  },
});

Deno.test("desktop_screenshot without a display gives a clear error", async () => {
  await using t = await toolContext({ services: { env: { PATH } } });
  if (Deno.build.os === "linux") {
    await assertRejects(
      () => t.call(desktopScreenshot, {}),
      Error,
      "No display to capture: neither DISPLAY nor WAYLAND_DISPLAY is set",
    );
    const support = await screenshotSupport({ PATH }, "linux");
    assertEquals(support.ok, false);
  }
});

Deno.test("desktop_screenshot on a display that is not running reports the failure", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using t = await toolContext({ services: { env: { PATH, DISPLAY: ":4999" } } });
  await assertRejects(() => t.call(desktopScreenshot, {}), Error, "failed (exit");
});

Deno.test("desktop_screenshot plans each platform's own tool", () => {
  assertEquals(planCapture("darwin", {}, undefined).attempts[0].program, "screencapture");
  assertEquals(planCapture("windows", {}, undefined).attempts[0].program, "powershell.exe");
  assertEquals(
    planCapture("linux", { WAYLAND_DISPLAY: "wayland-0" }, undefined).attempts[0].program,
    "grim",
  );
  assertEquals(planCapture("linux", { DISPLAY: ":0" }, undefined).attempts[0].program, "import");
  let error: Error | undefined;
  try {
    planCapture("linux", { WAYLAND_DISPLAY: "wayland-0" }, "Firefox");
  } catch (e) {
    error = e as Error;
  }
  assertMatch(String(error?.message), /not supported on Wayland/);
});

Deno.test("desktop_screenshot reports a missing capture program", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using t = await toolContext({ services: { env: { PATH: "/nonexistent", DISPLAY: ":0" } } });
  await assertRejects(
    () => t.call(desktopScreenshot, {}),
    Error,
    "No screenshot program found for X11",
  );
});
