/** @module bytesEqual: equal only for the same bytes, whatever the lengths. */

import { assertEquals } from "../_helpers/assert.ts";
import { bytesEqual } from "../../core/bytes_equal.ts";

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
