/**
 * @module The subprocess behind `read_docx`: mammoth needs `--unsafe-proto`, which must never be
 * given to the gateway. Run as `deno run --unsafe-proto _docx_worker.ts <text|markdown|probe>`
 * with no permissions: the document comes on stdin, the result goes to stdout as one JSON line.
 */

import { Buffer } from "node:buffer";

interface MammothResult {
  value: string;
  messages: { message: string }[];
}
type Convert = (input: { buffer: Buffer }) => Promise<MammothResult>;
interface Mammoth {
  extractRawText: Convert;
  convertToMarkdown: Convert;
}

async function main(): Promise<void> {
  const format = Deno.args[0];
  // convertToMarkdown exists in mammoth but is missing from its type declarations.
  const mammoth = (await import("mammoth")).default as unknown as Mammoth;
  if (format === "probe") {
    console.log(JSON.stringify({ ok: typeof mammoth.extractRawText === "function" }));
    return;
  }
  const input = Buffer.from(await new Response(Deno.stdin.readable).arrayBuffer());
  try {
    const result = format === "markdown"
      ? await mammoth.convertToMarkdown({ buffer: input })
      : await mammoth.extractRawText({ buffer: input });
    const warnings = result.messages.map((message) => message.message);
    console.log(JSON.stringify({ ok: true, value: result.value, warnings }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: (error as Error).message ?? String(error) }));
  }
}

if (import.meta.main) await main();
