/**
 * @module `desktop_screenshot`: a PNG of the screen through each platform's own tools: X11
 * (ImageMagick `import`), Wayland (`grim`), macOS (`screencapture`, also one window) and
 * Windows (PowerShell with System.Drawing). The model gets it as an image.
 */

import { z } from "zod";
import { Buffer } from "node:buffer";
import { defineTool, type ToolContext } from "./tool.ts";
import {
  type CaptureEnv,
  type CapturePlan,
  captureScreen,
  planCapture,
} from "./_screen_capture.ts";

const parameters = z.strictObject({
  window: z.union([z.string().min(1), z.number().int().nonnegative()]).optional().describe(
    "One window instead of the whole screen (macOS and X11): its id, or part of its title or " +
      "app name",
  ),
});

export const desktopScreenshot = defineTool({
  name: "desktop_screenshot",
  group: "group:media",
  description: "Take a screenshot of the desktop and look at it: the whole screen, or one " +
    "window (macOS and X11).",
  parameters,
  async run({ window }, ctx) {
    const env = captureEnv(ctx);
    const plan = planCapture(Deno.build.os, env, window === undefined ? undefined : String(window));
    const png = await captureScreen(plan, env, ctx.signal);
    const size = pngSize(png);
    const what = window === undefined ? "the whole screen" : `window ${JSON.stringify(window)}`;
    return {
      content: `Screenshot of ${what}: ${size.width}x${size.height} PNG (${png.length} bytes)`,
      images: [{ mimeType: "image/png", base64: Buffer.from(png).toString("base64") }],
      data: { ...size, bytes: png.length, backend: plan.backend, window: window ?? null },
    };
  },
});

/** The display variables come from the gateway's environment; PATH and HOME may fall back. */
function captureEnv(ctx: ToolContext): CaptureEnv {
  return ctx.services.env ?? Deno.env.toObject();
}

/** Width and height from a PNG's IHDR chunk. @throws {Error} when it is not a PNG */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((byte, i) => png[i] !== byte)) {
    throw new Error("The screenshot tool did not produce a PNG");
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** What the doctor reports: whether a screenshot can be taken here, and how. */
export async function screenshotSupport(
  env: CaptureEnv,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<{ ok: boolean; message: string }> {
  try {
    const plan = planCapture(os, env, undefined);
    const found = await plan.available();
    return found
      ? { ok: true, message: `${plan.backend} (${found})` }
      : { ok: false, message: `${plan.backend} is needed but not installed` };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export type { CapturePlan };
