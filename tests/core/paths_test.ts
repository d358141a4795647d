/** @module core/paths.ts: the home folder without HOME, read from /etc/passwd once. */

import { assertEquals } from "../_helpers/assert.ts";
import { homedir } from "../../core/paths.ts";

Deno.test("without HOME the home folder comes from /etc/passwd, read once", () => {
  const home = Deno.env.get("HOME");
  const deno = Deno as unknown as Record<string, unknown>;
  const read = Deno.readTextFileSync;
  const reads: string[] = [];
  deno.readTextFileSync = (path: string | URL) => {
    reads.push(String(path));
    return read(path);
  };
  Deno.env.delete("HOME");
  try {
    const uid = String(Deno.uid());
    const entry = read("/etc/passwd").split("\n").map((line) => line.split(":"))
      .find((fields) => fields.length >= 7 && fields[2] === uid);
    assertEquals(homedir(), entry?.[5]);
    // A turn's path asks again (a skills folder under `~`): no file is read for it.
    assertEquals(homedir(), entry?.[5]);
    assertEquals(reads.filter((path) => path === "/etc/passwd").length <= 1, true);
  } finally {
    deno.readTextFileSync = read;
    if (home !== undefined) Deno.env.set("HOME", home);
  }
});
