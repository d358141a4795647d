/**
 * @module The SSE responses of the OpenAI routes (server/openai/_sse.ts): frames ready together
 * go out in one chunk, a frame that waits for its input goes out when it comes, and a client that
 * stops reading stops the frames.
 */

import { assertEquals } from "../../_helpers/assert.ts";
import { sseResponse } from "../../../server/openai/_sse.ts";

const decoder = new TextDecoder();

Deno.test("sseResponse writes the first frame alone, then the frames ready together as one chunk", async () => {
  let release!: () => void;
  const later = new Promise<void>((resolve) => (release = resolve));
  async function* frames() {
    yield "data: 0\n\n";
    yield "data: 1\n\n";
    yield "data: 2\n\n";
    yield "data: 3\n\n";
    await later; // the next upstream read
    yield "data: 4\n\n";
    yield "data: [DONE]\n\n";
  }
  const reader = sseResponse(frames()).body!.getReader();
  assertEquals(decoder.decode((await reader.read()).value), "data: 0\n\n");
  const first = await reader.read();
  assertEquals(decoder.decode(first.value), "data: 1\n\ndata: 2\n\ndata: 3\n\n");
  release();
  const second = await reader.read();
  assertEquals(decoder.decode(second.value), "data: 4\n\ndata: [DONE]\n\n");
  assertEquals((await reader.read()).done, true);
});

Deno.test("sseResponse sends a frame at once when the next one waits", async () => {
  let release!: () => void;
  const later = new Promise<void>((resolve) => (release = resolve));
  async function* frames() {
    yield "data: first\n\n";
    await later;
    yield "data: [DONE]\n\n";
  }
  const reader = sseResponse(frames()).body!.getReader();
  // Read before the second frame can exist: the first may not wait for it.
  assertEquals(decoder.decode((await reader.read()).value), "data: first\n\n");
  release();
  assertEquals(decoder.decode((await reader.read()).value), "data: [DONE]\n\n");
});

Deno.test("sseResponse stops the frames when the client cancels", async () => {
  let stopped = false;
  let abort!: (reason: Error) => void;
  const upstream = new Promise<void>((_, reject) => (abort = reject));
  async function* frames() {
    try {
      yield "data: 0\n\n";
      yield "data: 1\n\n";
      yield "data: 2\n\n";
      await upstream;
      yield "data: never\n\n";
    } finally {
      stopped = true;
    }
  }
  const reader = sseResponse(frames()).body!.getReader();
  assertEquals(decoder.decode((await reader.read()).value), "data: 0\n\n");
  assertEquals(decoder.decode((await reader.read()).value), "data: 1\n\ndata: 2\n\n");
  // The frame asked for ahead waits on the upstream; in the gateway the client's going away
  // aborts the upstream call (the request's signal), which ends that wait.
  const cancelled = reader.cancel();
  abort(new Error("aborted"));
  await cancelled;
  assertEquals(stopped, true);
});
