/** @module How much of a file a piece of work reads: for tests that a cost does not grow with a file. */

/** Counts the bytes read from `file` through `Deno.open` while `work` runs. */
export async function bytesReadFrom(file: string, work: () => Promise<void>): Promise<number> {
  const open = Deno.open;
  let read = 0;
  Deno.open = async (path, options) => {
    const handle = await open(path, options);
    if (String(path) !== file) return handle;
    const readInto = handle.read.bind(handle);
    handle.read = async (buffer) => {
      const n = await readInto(buffer);
      read += n ?? 0;
      return n;
    };
    return handle;
  };
  try {
    await work();
  } finally {
    Deno.open = open;
  }
  return read;
}
