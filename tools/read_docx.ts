/**
 * @module `read_docx`: the text of a Word document as plain text or markdown, through mammoth in
 * a subprocess (mammoth needs `--unsafe-proto`, which the gateway itself must not run with).
 */

import { basename } from "../core/path.ts";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { readToolFile } from "./tool_paths.ts";
import { capText, DEFAULT_MAX_CHARS } from "./text_cap.ts";
import { defineTool } from "./tool.ts";
import { wrapExternal } from "./external_content.ts";

const parameters = z.strictObject({
  path: z.string().min(1).describe("DOCX file, relative to the workspace"),
  format: z.enum(["text", "markdown"]).default("markdown")
    .describe("markdown keeps headings, lists and emphasis; text is plain"),
  maxChars: z.number().int().min(100).max(2_000_000).default(DEFAULT_MAX_CHARS)
    .describe("Most characters to return"),
});

/** How long the converter may run before it is killed. */
const WORKER_TIMEOUT_MS = 60_000;

export const readDocx = defineTool({
  name: "read_docx",
  group: "group:documents",
  description: "Extract the text of a Word (.docx) document as markdown or plain text.",
  parameters,
  async run({ path, format, maxChars }, ctx) {
    const { bytes } = await readToolFile(ctx, path);
    if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
      throw new Error(`Not a DOCX file (not a zip archive): ${path}`);
    }
    const result = await runDocxWorker(format, bytes, ctx.signal);
    if (!result.ok) throw new Error(`Could not read the DOCX ${path}: ${result.error}`);
    const value = format === "markdown" ? unescapeMarkdownText(result.value) : result.value;
    const capped = capText(value.trim(), maxChars);
    return {
      content: wrapExternal(capped.text, { tool: "read_docx", from: path }),
      data: {
        path,
        format,
        chars: capped.totalChars,
        truncated: capped.truncated,
        warnings: result.warnings,
      },
    };
  },
});

/**
 * Undoes mammoth's backslash-escaping of the document's own text (`BLUE\-HERON\-42`): the model
 * must read the text as written, and mammoth's markup (`#`, `__`, list markers) is never escaped,
 * so only the text's characters come back. Pairs are read left to right, so an escaped backslash
 * (`\\`) stays one backslash.
 */
export function unescapeMarkdownText(markdown: string): string {
  return markdown.replace(/\\([\\`*_{}\[\]()#+\-.!])/g, "$1");
}

type WorkerResult =
  | { ok: true; value: string; warnings: string[] }
  | { ok: false; error: string };

/**
 * Runs `_docx_worker.ts` under the Deno that runs us, with `--unsafe-proto` and no permissions.
 * `format` "probe" only checks that mammoth loads (for the doctor).
 */
export async function runDocxWorker(
  format: "text" | "markdown" | "probe",
  input: Uint8Array,
  signal?: AbortSignal,
): Promise<WorkerResult> {
  const worker = new URL("./_docx_worker.ts", import.meta.url);
  if (worker.protocol !== "file:") {
    throw new Error(`read_docx needs its worker as a local file, not ${worker.href}`);
  }
  const deno = Deno.execPath();
  if (!/^deno(\.exe)?$/i.test(basename(deno))) {
    // A `deno compile`d pyclaw cannot `deno run` another script, and must not get the flag itself.
    throw new Error(
      `read_docx needs the Deno runtime to run mammoth with --unsafe-proto, but pyclaw runs as ` +
        `${deno}; run pyclaw from its project folder (scripts/pyclaw)`,
    );
  }
  const timeout = AbortSignal.timeout(WORKER_TIMEOUT_MS);
  const child = new Deno.Command(deno, {
    args: [
      "run",
      "--unsafe-proto",
      "--no-prompt",
      "--no-lock",
      "--quiet",
      "--v8-flags=--max-old-space-size=512",
      fileURLToPath(worker),
      format,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input).catch(() => {});
  await writer.close().catch(() => {});
  const output = await child.output();
  signal?.throwIfAborted();
  if (timeout.aborted) {
    throw new Error(`The DOCX converter took longer than ${WORKER_TIMEOUT_MS} ms`);
  }
  const line = new TextDecoder().decode(output.stdout).trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as WorkerResult;
  } catch {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" ");
    return {
      ok: false,
      error: `the converter failed (exit ${output.code}): ${stderr || "no output"}`,
    };
  }
}
