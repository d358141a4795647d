/** @module core/paths.ts: the home folder without HOME, read from /etc/passwd once. */

import { assertEquals } from "../_helpers/assert.ts";
import { homedir } from "../../core/paths.ts";

/** This user's home in /etc/passwd; a container may run as a uid the file does not name. */
const passwdHome = (() => {
  try {
    const uid = String(Deno.uid());
    return Deno.readTextFileSync("/etc/passwd").split("\n").map((line) => line.split(":"))
      .find((fields) => fields.length >= 7 && fields[2] === uid)?.[5] || undefined;
  } catch {
    return undefined;
  }
})();

Deno.test({
  name: "without HOME the home folder comes from /etc/passwd, read once",
  ignore: passwdHome === undefined,
  fn() {
    const home = Deno.env.get("HOME");
    const deno = Deno as unknown as Record<string, unknown>;
    const read = Deno.readTextFileSync;
    let reads = 0;
    deno.readTextFileSync = (path: string | URL) => {
      if (String(path) === "/etc/passwd") reads++;
      return read(path);
    };
    Deno.env.delete("HOME");
    try {
      assertEquals(homedir(), passwdHome);
      assertEquals(reads, 1);
      // A turn's path asks again (a skills folder under `~`): no file is read for it.
      assertEquals(homedir(), passwdHome);
      assertEquals(reads, 1);
    } finally {
      deno.readTextFileSync = read;
      if (home !== undefined) Deno.env.set("HOME", home);
    }
  },
});
