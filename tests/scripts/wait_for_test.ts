/**
 * @module The suite's poll-until helper (tests/_helpers/assert.ts `waitFor`): state that a
 * service fills in after start reads as "not yet", not as a failure, even when reading it
 * throws, and a timeout says what the check last threw.
 */

import {
  assertEmptySoon,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../_helpers/assert.ts";

Deno.test("waitFor polls through a check that throws until its state is there", async () => {
  // As the MCP manager's status() right after start, before it listed its servers.
  const servers: { state: string }[] = [];
  let polls = 0;
  const connected = waitFor(() => {
    if (++polls === 3) servers.push({ state: "connected" });
    return servers[0].state === "connected" && servers[0];
  }, 5_000);
  assertEquals(await connected, { state: "connected" });
  assertEquals(polls, 3);
});

Deno.test("waitFor's timeout names what the check last threw", async () => {
  const empty: { state: string }[] = [];
  const error = await assertRejects(() => waitFor(() => empty[0].state, 50, "a server"));
  assertMatch(error.message, /^Timed out waiting for a server \(the check last threw: TypeError/);
  assertEquals((error.cause as Error).name, "TypeError");
});

Deno.test("assertEmptySoon waits for a list to empty and shows what stayed", async () => {
  const dying = ["sh -c sleep 30"];
  let polls = 0;
  await assertEmptySoon(() => Promise.resolve(++polls < 3 ? dying : []), "the processes");
  assertEquals(polls, 3);
  const error = await assertRejects(() =>
    assertEmptySoon(() => Promise.resolve(dying), "the processes", 50)
  );
  assertMatch(error.message, /the processes: still there after 50 ms/);
  assertMatch(error.message, /sh -c sleep 30/);
});
