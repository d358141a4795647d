import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import { ProfileStore, validateProfileName } from "../../../tools/browser/profiles.ts";

async function code(call: () => Promise<unknown>): Promise<string> {
  return (await assertRejects(call, GatewayError)).code;
}

Deno.test("validateProfileName accepts plain names and refuses path tricks", () => {
  for (const name of ["default", "work", "a", "team-2_b", "x".repeat(64)]) {
    assertEquals(validateProfileName(name), name);
  }
  for (
    const name of [
      "",
      "..",
      ".",
      "../x",
      "a/b",
      "a\\b",
      "Work",
      "-x",
      "_x",
      "a b",
      "x".repeat(65),
      "a\0",
    ]
  ) {
    let error: unknown;
    try {
      validateProfileName(name);
    } catch (caught) {
      error = caught;
    }
    assert(error instanceof GatewayError && error.code === "INVALID_PARAMS", JSON.stringify(name));
  }
});

Deno.test("ProfileStore creates, lists and removes profiles inside its root", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-profiles-" });
  try {
    const store = new ProfileStore(`${root}/profiles`);
    assertEquals(await store.list(), ["default"]);
    assert(await store.exists("default"), "default exists before first use");
    assertEquals(await store.prepare("default"), `${root}/profiles/default`);
    assertEquals(await store.create("work"), `${root}/profiles/work`);
    assertEquals(await code(() => store.create("work")), "ALREADY_EXISTS");
    assertEquals(await code(() => store.create("default")), "ALREADY_EXISTS");
    assertEquals(await code(() => store.prepare("nope")), "NOT_FOUND");
    await Deno.mkdir(`${root}/profiles/Not_Valid`);
    assertEquals(await store.list(), ["default", "work"]);
    await Deno.writeTextFile(`${root}/profiles/work/Cookies`, "data");
    await store.remove("work");
    assertEquals(await store.list(), ["default"]);
    assertEquals(await code(() => store.remove("work")), "NOT_FOUND");
    assertEquals(await code(() => store.remove("default")), "INVALID_PARAMS");
    assertEquals(await code(() => store.remove("../profiles")), "INVALID_PARAMS");
    assert(await store.exists("default"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
