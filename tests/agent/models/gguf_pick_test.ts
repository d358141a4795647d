/** @module Tests of the automatic GGUF choice. */

import { pickGguf, quantOf } from "../../../agent/models/gguf_pick.ts";
import { ModelDownloadError } from "../../../agent/models/hub.ts";
import { assertEquals, assertThrows } from "../../_helpers/assert.ts";

const files = (...paths: string[]) => paths.map((path) => ({ path, size: 1 }));

Deno.test("pickGguf prefers Q4_K_M, then the nearest quantization", () => {
  assertEquals(
    pickGguf("r", files("m-Q8_0.gguf", "m-Q4_K_M.gguf", "mmproj-m-Q4_K_M.gguf")).file.path,
    "m-Q4_K_M.gguf",
  );
  assertEquals(pickGguf("r", files("m-Q8_0.gguf", "m-Q5_K_M.gguf", "m-f16.gguf")).quant, "Q5_K_M");
  assertEquals(pickGguf("r", files("m-f16.gguf", "m-bf16.gguf")).quant, "BF16");
  assertEquals(pickGguf("r", files("weird.gguf")).quant, undefined);
  assertEquals(quantOf("Qwen3-4B-IQ4_XS.gguf"), "IQ4_XS");
});

Deno.test("pickGguf takes every part of a split GGUF", () => {
  const choice = pickGguf(
    "r",
    files(
      "Q4_K_M/m-Q4_K_M-00002-of-00002.gguf",
      "Q4_K_M/m-Q4_K_M-00001-of-00002.gguf",
      "m-Q8_0.gguf",
    ),
  );
  assertEquals(choice.parts.map((p) => p.path), [
    "Q4_K_M/m-Q4_K_M-00001-of-00002.gguf",
    "Q4_K_M/m-Q4_K_M-00002-of-00002.gguf",
  ]);
  assertEquals(choice.automatic, true);
});

Deno.test("pickGguf refuses a non-GGUF --filename and a repo without GGUF", () => {
  const error = assertThrows(() => pickGguf("r", files("README.md", "a.gguf"), "README.md"));
  assertEquals((error as ModelDownloadError).failure, "bad_request");
  const none = assertThrows(() => pickGguf("r", files("model.safetensors")));
  assertEquals((none as ModelDownloadError).failure, "no_gguf");
  const only = pickGguf("r", files("a.gguf", "b.gguf"), "b.gguf");
  assertEquals([only.file.path, only.automatic], ["b.gguf", false]);
});
