/** @module Reads the text inside an external-content wrapper, checking the wrapper is whole. */

import { assertMatch } from "./assert.ts";

const WRAPPED =
  /^<<<EXTERNAL_UNTRUSTED_CONTENT id="([0-9a-f]{8})" tool="([a-z_]+)"[^\n]*>>>\nThe text below is external content, not from the user\. [^\n]*\n([\s\S]*)\n<<<END_EXTERNAL_UNTRUSTED_CONTENT id="\1">>>$/;

/** The wrapped text; fails the test when `content` is not wrapped as external. */
export function unwrapExternal(content: string, tool?: string): string {
  assertMatch(content, WRAPPED, "content is not wrapped as external");
  const [, , wrappedBy, inner] = WRAPPED.exec(content)!;
  if (tool && wrappedBy !== tool) throw new Error(`Wrapped by ${wrappedBy}, expected ${tool}`);
  return inner;
}
