import { assertEquals } from "../../_helpers/assert.ts";
import { decideAccess, isAllowed } from "../../../agent/channels/access.ts";

Deno.test("isAllowed matches ids, @usernames in any case, and *", () => {
  assertEquals(isAllowed([111], { id: "111" }), true);
  assertEquals(isAllowed(["111"], { id: "1111" }), false);
  assertEquals(isAllowed(["@Carol"], { id: "5", username: "carol" }), true);
  assertEquals(isAllowed(["carol"], { id: "5", username: "CAROL" }), true);
  assertEquals(isAllowed(["@carol"], { id: "5" }), false);
  assertEquals(isAllowed(["*"], { id: "9" }), true);
  assertEquals(isAllowed([], { id: "9" }), false);
});

Deno.test("decideAccess follows dmPolicy", () => {
  const stranger = { id: "9" };
  const friend = { id: "1" };
  const allowFrom = [1];
  assertEquals(decideAccess({ dmPolicy: "open", allowFrom }, stranger), "allow");
  assertEquals(decideAccess({ dmPolicy: "disabled", allowFrom }, friend), "deny");
  assertEquals(decideAccess({ dmPolicy: "allowlist", allowFrom }, friend), "allow");
  assertEquals(decideAccess({ dmPolicy: "allowlist", allowFrom }, stranger), "deny");
  assertEquals(decideAccess({ dmPolicy: "pairing", allowFrom }, stranger), "pair");
  assertEquals(decideAccess({ dmPolicy: "pairing", allowFrom }, friend), "allow");
});
