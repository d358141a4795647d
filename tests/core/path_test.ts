/**
 * @module core/path.ts gives node:path's POSIX results (it replaces node:path on the gateway's
 * start path, issue 17): every function is compared with node:path on the same inputs, built
 * from segments that exercise dots, repeated and trailing slashes, the root and empty strings.
 */

import * as node from "node:path";
import * as ours from "../../core/path.ts";
import { assertEquals } from "../_helpers/assert.ts";

const SEGMENTS = ["", "/", "//", ".", "..", "...", "a", "b.js", ".hidden", "a..", "x.tar.gz", "c/"];

/** Paths of up to three segments joined by one or two slashes, and some written by hand. */
function paths(): string[] {
  const out = new Set<string>([
    "/a//b",
    "//a",
    "///",
    "a/b/../../..",
    "/a/b/./c/",
    "./a",
    "../a/b",
    "/../a",
    "a/./b/.",
    "file.",
    ".a.b",
    "..a",
    "/tmp/x/..",
  ]);
  for (const a of SEGMENTS) {
    for (const b of SEGMENTS) {
      for (const join of ["/", "//"]) {
        out.add(a + b);
        out.add(a + join + b);
        for (const c of ["", "d", "..", ".e"]) out.add(`${a}${join}${b}/${c}`);
      }
    }
  }
  return [...out];
}

Deno.test("dirname, basename, extname, normalize and isAbsolute give node:path's results", () => {
  for (const path of paths()) {
    assertEquals(ours.dirname(path), node.dirname(path), `dirname(${JSON.stringify(path)})`);
    assertEquals(ours.basename(path), node.basename(path), `basename(${JSON.stringify(path)})`);
    assertEquals(ours.extname(path), node.extname(path), `extname(${JSON.stringify(path)})`);
    assertEquals(ours.normalize(path), node.normalize(path), `normalize(${JSON.stringify(path)})`);
    assertEquals(
      ours.isAbsolute(path),
      node.isAbsolute(path),
      `isAbsolute(${JSON.stringify(path)})`,
    );
  }
  assertEquals(ours.sep, node.sep);
});

Deno.test("basename with a suffix gives node:path's result", () => {
  for (
    const path of [
      "a/b.js",
      "b.js",
      ".js",
      "a/.js",
      "a/b.js/",
      "x.js.js",
      "ab",
      "/",
      "s/x.jsonl",
      "/s/.jsonl",
      "s//y.jsonl//",
    ]
  ) {
    for (const suffix of [".js", "js", "b.js", "", "s", ".jsonl"]) {
      assertEquals(ours.basename(path, suffix), node.basename(path, suffix), `${path} ${suffix}`);
    }
  }
});

Deno.test("join, resolve and relative give node:path's results", () => {
  const all = paths();
  for (const [i, a] of all.entries()) {
    const b = all[(i * 7 + 3) % all.length];
    const c = all[(i * 13 + 5) % all.length];
    const args = JSON.stringify([a, b, c]);
    assertEquals(ours.join(a, b, c), node.join(a, b, c), `join${args}`);
    assertEquals(ours.join(a), node.join(a), `join(${JSON.stringify(a)})`);
    assertEquals(ours.resolve(a, b, c), node.resolve(a, b, c), `resolve${args}`);
    assertEquals(ours.resolve(a), node.resolve(a), `resolve(${JSON.stringify(a)})`);
    assertEquals(ours.relative(a, b), node.relative(a, b), `relative(${JSON.stringify([a, b])})`);
  }
  assertEquals(ours.join(), node.join());
  assertEquals(ours.resolve(), node.resolve());
});
