/**
 * @module bytesEqual and textEqual: equal only for the same bytes or text, whatever the lengths;
 * concatBytes: the parts in order, in an array of their own.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { bytesEqual, concatBytes, textEqual } from "../../core/bytes.ts";

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

Deno.test("concatBytes joins the parts in order into a new array", () => {
  const parts = [bytes("ab"), new Uint8Array(), bytes("c"), bytes("def").subarray(1)];
  const joined = concatBytes(parts);
  assertEquals(new TextDecoder().decode(joined), "abcef");
  joined[0] = 0x7a;
  assertEquals(parts[0][0], 0x61); // a copy: the parts stay as they were
  assertEquals(concatBytes([]).length, 0);
});
