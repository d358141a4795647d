/**
 * @module The gateway's browser manager loads on the first browser call (issue 17); until
 * then it has nothing running and closes without loading, and once closed (the gateway
 * stopping) a later call is refused like the manager's own, instead of starting a browser.
 */

import { assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { GatewayError } from "../../../core/errors.ts";
import { Logger } from "../../../core/logger.ts";
import { LazyBrowserManager } from "../../../tools/browser/lazy_manager.ts";

function manager(browserDir: string) {
  const config = configSchema().parse({}).browser;
  return new LazyBrowserManager({
    browserDir,
    config: () => config,
    env: {},
    logger: new Logger({ consoleLevel: "silent" }),
  });
}

Deno.test("a lazy browser manager answers from the real one and refuses calls once closed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-lazy-browser-" });
  try {
    const browser = manager(dir);
    assertEquals(browser.running, []);
    const status = await browser.status();
    assertEquals([status.started, status.profile], [false, "default"]);
    assertEquals((await browser.listProfiles()).profiles.map((p) => p.name), ["default"]);
    await browser.close();
    const error = await assertRejects(() => browser.start(), GatewayError);
    assertEquals(error.code, "ABORTED");

    const never = manager(dir);
    await never.close(); // nothing loaded, nothing to stop
    const refused = await assertRejects(() => never.open("about:blank"), GatewayError);
    assertEquals(refused.code, "ABORTED");
    assertEquals(never.running, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
