import { assertEquals, assertThrows } from "../_helpers/assert.ts";
import { startInProcessGateway } from "../_helpers/in_process_gateway.ts";
import { ManualClock } from "../_helpers/manual_clock.ts";
import { GatewayError } from "../../core/errors.ts";

Deno.test("the auth lockout of an address lifts once its failures are a minute old", async () => {
  const clock = new ManualClock();
  await using gw = await startInProcessGateway({
    clock,
    config: { gateway: { limits: { authFailuresPerMinute: 2 } } },
  });
  const limiter = gw.gateway.authLimiter;
  const address = "203.0.113.7";
  limiter.fail(address);
  await clock.advance(20_000);
  limiter.fail(address);
  const locked = assertThrows(() => limiter.check(address), GatewayError);
  assertEquals(locked.code, "RATE_LIMITED");
  assertEquals(locked.details, { retryAfterMs: 40_000 });
  limiter.check("203.0.113.8");

  // The first failure leaves the window; one left is under the limit.
  await clock.advance(40_000);
  limiter.check(address);
  limiter.fail(address);
  assertThrows(() => limiter.check(address), GatewayError);
});
