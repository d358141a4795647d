/** @module Starts a real Xvfb X server on a free display number for screenshot tests. */

import { existsSync } from "node:fs";
import { waitFor } from "./assert.ts";

/** True when the Xvfb binary is installed (Debian package `xvfb`). */
export const HAS_XVFB = ["/usr/bin/Xvfb", "/usr/local/bin/Xvfb"].some((path) => existsSync(path));

/** A running virtual screen. */
export interface Xvfb extends AsyncDisposable {
  display: string;
  width: number;
  height: number;
}

/**
 * Starts Xvfb with one `width`x`height` screen; dispose of it to stop it. A display number taken
 * between the look and the start (another Xvfb, another test run on the machine) makes Xvfb
 * exit at once: then the next number is tried.
 */
export async function startXvfb(width = 800, height = 600): Promise<Xvfb> {
  let number = 90 + Math.floor(Math.random() * 400);
  for (let attempt = 1;; attempt++, number++) {
    while (existsSync(`/tmp/.X${number}-lock`) || existsSync(`/tmp/.X11-unix/X${number}`)) number++;
    const child = new Deno.Command("Xvfb", {
      args: [`:${number}`, "-screen", "0", `${width}x${height}x24`, "-nolisten", "tcp"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    child.status.then(() => (exited = true));
    const socket = `/tmp/.X11-unix/X${number}`;
    try {
      await waitFor(() => existsSync(socket) || exited, 20_000, `Xvfb :${number} to start`);
    } catch (error) {
      child.kill("SIGKILL");
      await child.status;
      throw error;
    }
    if (exited) {
      if (attempt < 3) continue;
      throw new Error(`Xvfb :${number} exited at start (${(await child.status).code})`);
    }
    return {
      display: `:${number}`,
      width,
      height,
      async [Symbol.asyncDispose]() {
        child.kill("SIGTERM");
        await child.status;
      },
    };
  }
}
