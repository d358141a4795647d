import { assertEquals } from "../../_helpers/assert.ts";
import { madeBy } from "../../../ui/status/cron_jobs.ts";

Deno.test("madeBy names the agent's session for a tool-made job, the client for cron.add", () => {
  assertEquals(
    madeBy({ createdBy: { via: "tool", agentId: "main", sessionId: "telegram-111" } }),
    "the agent, in session telegram-111",
  );
  assertEquals(madeBy({ createdBy: { via: "rpc", client: "cli" } }), "a client (cli)");
  assertEquals(madeBy({ createdBy: { via: "rpc" } }), "a client (unnamed)");
  assertEquals(madeBy({}), "—");
});
