/** @module The doctor's browser check: is there a Chromium-family browser, and which version. */

import { isGatewayError } from "../../core/errors.ts";
import {
  findBrowserExecutable,
  INSTALL_ADVICE,
  readBrowserVersion,
} from "../../tools/browser/executable.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

/** Finds the browser the `browser.*` methods and tool would launch, and asks its version. */
export async function checkBrowser(input: DoctorInput): Promise<DoctorCheck> {
  const id = "browser.executable";
  const name = "Browser (Chromium)";
  const browser = input.config?.browser;
  if (browser && !browser.enabled) {
    return { id, name, status: "ok", message: "Browser control is disabled (browser.enabled)" };
  }
  try {
    const found = await findBrowserExecutable({
      configured: browser?.executablePath,
      env: input.env,
    });
    const version = await readBrowserVersion(found.path);
    if (!version) {
      return {
        id,
        name,
        status: "warn",
        message: `${found.path} (from ${found.source}) did not report a version`,
        hint: "Check that it starts: run it with --version",
      };
    }
    return {
      id,
      name,
      status: "ok",
      message: `${version} at ${found.path} (from ${found.source})`,
    };
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    // Without a browser only the browser features are missing, so it is a warning.
    return { id, name, status: "warn", message: error.message, hint: INSTALL_ADVICE };
  }
}
