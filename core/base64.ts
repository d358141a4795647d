/**
 * @module Base64 decoding as node:buffer does it (lenient: URL-safe letters, whitespace and
 * missing padding are accepted, as clients' attachments have always been), with node:buffer
 * imported on the first call: importing it at start loads Deno's Node compatibility layer
 * (~15 ms of every start, issue 17), and a gateway may never see an attachment.
 */

/** The bytes `base64` holds, decoded by node:buffer's rules. */
export async function decodeBase64(base64: string): Promise<Uint8Array<ArrayBuffer>> {
  const { Buffer } = await import("node:buffer");
  return new Uint8Array(Buffer.from(base64, "base64"));
}
