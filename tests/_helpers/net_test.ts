/**
 * @module freePort (tests/_helpers/net.ts): a port handed out once is never handed out again in
 * the same process, as the child meant to bind it may not have yet (two gateways of one test
 * file given the same port fail one start on a busy machine).
 */

import { assertEquals } from "./assert.ts";
import { freePort } from "./net.ts";

Deno.test("freePort never hands out the same port twice in one process", () => {
  // A thousand draws from the ~12,000 ports below the ephemeral range would repeat dozens of
  // times if the draws were independent (the birthday bound); none may repeat.
  const ports = Array.from({ length: 1000 }, () => freePort());
  assertEquals(new Set(ports).size, ports.length);
});
