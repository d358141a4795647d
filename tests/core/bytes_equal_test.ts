/** @module bytesEqual and textEqual: equal only for the same bytes or text, whatever the lengths. */

import { assertEquals } from "../_helpers/assert.ts";
import { bytesEqual, textEqual } from "../../core/bytes_equal.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("bytesEqual is true only for the same bytes of the same length", () => {
  assertEquals(bytesEqual(bytes("secret-token"), bytes("secret-token")), true);
  assertEquals(bytesEqual(bytes(""), bytes("")), true);
  assertEquals(bytesEqual(bytes("secret-token"), bytes("secret-tokeN")), false);
  assertEquals(bytesEqual(bytes("secret"), bytes("secret-token")), false);
  assertEquals(bytesEqual(bytes("secret-token"), bytes("secret")), false);
  // A shorter input padded with zeros must not pass for a longer one ending in zeros.
  assertEquals(bytesEqual(new Uint8Array([1, 0]), new Uint8Array([1])), false);
});

Deno.test("textEqual is true only for the same text of the same length", () => {
  assertEquals(textEqual("secret-token", "secret-token"), true);
  assertEquals(textEqual("", ""), true);
  assertEquals(textEqual("secret-token", "secret-tokeN"), false);
  assertEquals(textEqual("secret", "secret-token"), false);
  assertEquals(textEqual("secret-token", "secret"), false);
  // A shorter text must not pass for a longer one ending in NUL characters.
  assertEquals(textEqual("a\0", "a"), false);
  assertEquals(textEqual("p\u00e4ss", "p\u00e4ss"), true);
  assertEquals(textEqual("p\u00e4ss", "p\u00e5ss"), false);
});
