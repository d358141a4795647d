/**
 * @module Terminal styling for the CLI: colours only when the stream is a terminal and
 * `NO_COLOR` is unset (https://no-color.org), so pipes and scripts get plain text.
 */

/** True when text written to `stream` may carry ANSI colours. */
export function colorEnabled(stream: { isTerminal(): boolean } = Deno.stdout): boolean {
  if (Deno.env.get("NO_COLOR") !== undefined) return false;
  if (Deno.env.get("FORCE_COLOR")) return true;
  return stream.isTerminal();
}

function paint(open: number, close: number) {
  return (text: string, stream?: { isTerminal(): boolean }) =>
    colorEnabled(stream) ? `\x1b[${open}m${text}\x1b[${close}m` : text;
}

export const bold = paint(1, 22);
export const dim = paint(2, 22);
export const red = paint(31, 39);
export const green = paint(32, 39);
export const yellow = paint(33, 39);
export const cyan = paint(36, 39);

/** Shows the first and last few characters of a secret, never the whole. */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return "(none)";
  if (secret.length <= 12) return "*".repeat(secret.length);
  return `${secret.slice(0, 4)}\u2026${secret.slice(-4)} (${secret.length} chars)`;
}
