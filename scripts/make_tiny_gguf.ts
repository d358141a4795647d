/**
 * @module Writes a tiny llama-architecture GGUF with random weights that llama.cpp (through
 * node-llama-cpp) loads and runs: a byte-fallback SentencePiece vocabulary, a ChatML chat
 * template, and F32/F16 tensors. Its output is gibberish; tests use it to exercise real inference.
 *
 * Usage: `deno run -A scripts/make_tiny_gguf.ts OUT.gguf [--seed N]`
 *
 * Format: GGUF v3 (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): header, metadata
 * key/values, tensor infos, then tensor data aligned to `general.alignment`.
 */

/** Shape of the generated model. */
export interface TinyGgufOptions {
  /** Seed of the weights, so a test gets the same file each time. @default 42 */
  seed?: number;
  /** @default 64 */
  embedding?: number;
  /** @default 2 */
  layers?: number;
  /** @default 4 */
  heads?: number;
  /** @default 2 */
  kvHeads?: number;
  /** @default 128 */
  feedForward?: number;
  /** @default 8192 */
  contextLength?: number;
  /**
   * Makes the model deterministic: every transformer block is zeroed, so the next token depends on
   * the current one only, and token `a` is followed by `nextToken[a]` (pieces, e.g. `"<0x0A>"` →
   * `"||call:"`). Pieces missing from the vocabulary are added. Tests use it to make the model
   * start a function call.
   */
  nextToken?: Record<string, string>;
  /**
   * Words the vocabulary also holds whole (with and without the leading `▁`, and every prefix,
   * since SentencePiece reaches a word by merging through them). Without them every character is
   * a token, so a window holds about a quarter of the text a real model's does; with the words of
   * a prompt, its token count comes near a real tokenizer's.
   */
  words?: readonly string[];
}

const ALIGNMENT = 32;

// GGUF metadata value types.
const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
// GGML tensor types.
const GGML_F32 = 0;
const GGML_F16 = 1;
// llama.cpp token types.
const TOKEN = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

const CHATML_TEMPLATE = "{% for message in messages %}" +
  "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

type Value =
  | { type: typeof T.U32 | typeof T.I32 | typeof T.F32; value: number }
  | { type: typeof T.BOOL; value: boolean }
  | { type: typeof T.STRING; value: string }
  | { type: typeof T.ARRAY; of: typeof T.STRING; value: string[] }
  | { type: typeof T.ARRAY; of: typeof T.F32 | typeof T.I32; value: number[] };

interface Tensor {
  name: string;
  /** ggml order: the fastest-varying dimension first. */
  dims: number[];
  type: typeof GGML_F32 | typeof GGML_F16;
}

/** Little-endian byte writer that grows as needed. */
class Writer {
  #bytes = new Uint8Array(1 << 16);
  #view = new DataView(this.#bytes.buffer);
  length = 0;
  #room(n: number) {
    if (this.length + n <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(this.#bytes.length * 2, this.length + n));
    next.set(this.#bytes.subarray(0, this.length));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
  }
  u8(v: number) {
    this.#room(1);
    this.#view.setUint8(this.length, v);
    this.length += 1;
  }
  u32(v: number) {
    this.#room(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number) {
    this.#room(4);
    this.#view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number) {
    this.#room(8);
    this.#view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number) {
    this.#room(4);
    this.#view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f16(v: number) {
    this.#room(2);
    this.#view.setUint16(this.length, toHalf(v), true);
    this.length += 2;
  }
  string(s: string) {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.length);
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number) {
    while (this.length % alignment !== 0) this.u8(0);
  }
  bytes(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }
}

function toHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (exponent <= 0) return sign; // tiny values flush to zero, enough for random weights
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | (mantissa >>> 13);
}

/** A small deterministic PRNG (mulberry32), so the same seed gives the same file. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Each word's prefixes of two or more characters, bare and after `▁` (a space). */
function wordPieces(words: readonly string[]): string[] {
  const pieces: string[] = [];
  for (const word of words) {
    for (let end = 1; end <= word.length; end++) {
      if (end > 1) pieces.push(word.slice(0, end));
      pieces.push("▁" + word.slice(0, end));
    }
  }
  return pieces;
}

/** The vocabulary: control tokens, 256 byte tokens, then printable ASCII pieces. */
function vocabulary(extra: string[] = []): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"];
  const types: number[] = [
    TOKEN.UNKNOWN,
    TOKEN.CONTROL,
    TOKEN.CONTROL,
    TOKEN.CONTROL,
    TOKEN.CONTROL,
  ];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN.BYTE);
  }
  const pieces = ["▁"];
  for (let c = 33; c < 127; c++) pieces.push(String.fromCharCode(c));
  for (const word of ["▁the", "▁a", "▁is", "▁of", "▁and", "▁to", "▁in", "▁hello", "▁world"]) {
    pieces.push(word);
  }
  const known = new Set([...tokens, ...pieces]);
  for (const piece of extra) {
    if (!known.has(piece)) pieces.push(piece);
    known.add(piece);
  }
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(TOKEN.NORMAL);
  }
  // SentencePiece merges prefer higher scores; longer pieces win.
  const scores = tokens.map((token, i) => types[i] === TOKEN.NORMAL ? -i / 100 + token.length : 0);
  return { tokens, scores, types };
}

/** Builds the GGUF bytes. */
export function buildTinyGguf(options: TinyGgufOptions = {}): Uint8Array {
  const n = {
    embd: options.embedding ?? 64,
    layers: options.layers ?? 2,
    heads: options.heads ?? 4,
    kvHeads: options.kvHeads ?? 2,
    ff: options.feedForward ?? 128,
    ctx: options.contextLength ?? 8192,
  };
  const headDim = n.embd / n.heads;
  const kvDim = headDim * n.kvHeads;
  const chain = options.nextToken ?? {};
  const vocab = vocabulary([
    ...Object.keys(chain),
    ...Object.values(chain),
    ...wordPieces(options.words ?? []),
  ]);
  const nVocab = vocab.tokens.length;

  const metadata: [string, Value][] = [
    ["general.architecture", { type: T.STRING, value: "llama" }],
    ["general.name", { type: T.STRING, value: "pyclaw tiny test model" }],
    ["general.alignment", { type: T.U32, value: ALIGNMENT }],
    ["llama.context_length", { type: T.U32, value: n.ctx }],
    ["llama.embedding_length", { type: T.U32, value: n.embd }],
    ["llama.block_count", { type: T.U32, value: n.layers }],
    ["llama.feed_forward_length", { type: T.U32, value: n.ff }],
    ["llama.attention.head_count", { type: T.U32, value: n.heads }],
    ["llama.attention.head_count_kv", { type: T.U32, value: n.kvHeads }],
    ["llama.attention.layer_norm_rms_epsilon", { type: T.F32, value: 1e-5 }],
    ["llama.rope.dimension_count", { type: T.U32, value: headDim }],
    ["llama.rope.freq_base", { type: T.F32, value: 10000 }],
    ["llama.vocab_size", { type: T.U32, value: nVocab }],
    ["tokenizer.ggml.model", { type: T.STRING, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: T.ARRAY, of: T.STRING, value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: T.ARRAY, of: T.F32, value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: T.ARRAY, of: T.I32, value: vocab.types }],
    ["tokenizer.ggml.bos_token_id", { type: T.U32, value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: T.U32, value: 4 }],
    ["tokenizer.ggml.unknown_token_id", { type: T.U32, value: 0 }],
    ["tokenizer.ggml.add_bos_token", { type: T.BOOL, value: false }],
    ["tokenizer.chat_template", { type: T.STRING, value: CHATML_TEMPLATE }],
  ];

  const tensors: Tensor[] = [
    { name: "token_embd.weight", dims: [n.embd, nVocab], type: GGML_F16 },
    { name: "output_norm.weight", dims: [n.embd], type: GGML_F32 },
    { name: "output.weight", dims: [n.embd, nVocab], type: GGML_F16 },
  ];
  for (let i = 0; i < n.layers; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [n.embd], type: GGML_F32 },
      { name: `blk.${i}.attn_q.weight`, dims: [n.embd, n.embd], type: GGML_F16 },
      { name: `blk.${i}.attn_k.weight`, dims: [n.embd, kvDim], type: GGML_F16 },
      { name: `blk.${i}.attn_v.weight`, dims: [n.embd, kvDim], type: GGML_F16 },
      { name: `blk.${i}.attn_output.weight`, dims: [n.embd, n.embd], type: GGML_F16 },
      { name: `blk.${i}.ffn_norm.weight`, dims: [n.embd], type: GGML_F32 },
      { name: `blk.${i}.ffn_gate.weight`, dims: [n.embd, n.ff], type: GGML_F16 },
      { name: `blk.${i}.ffn_up.weight`, dims: [n.embd, n.ff], type: GGML_F16 },
      { name: `blk.${i}.ffn_down.weight`, dims: [n.ff, n.embd], type: GGML_F16 },
    );
  }

  const out = new Writer();
  out.u32(0x46554747); // "GGUF"
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    out.u32(value.type);
    writeValue(out, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(tensor.type);
    out.u64(offset);
    offsets.push(offset);
    const bytes = tensor.dims.reduce((a, b) => a * b, 1) * (tensor.type === GGML_F32 ? 4 : 2);
    offset += Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
  }
  out.pad(ALIGNMENT);
  const next = random(options.seed ?? 42);
  const values = tensorValues(next, n.embd, vocab.tokens, options.nextToken);
  const dataStart = out.length;
  tensors.forEach((tensor, i) => {
    while (out.length < dataStart + offsets[i]) out.u8(0);
    for (const value of values(tensor)) {
      if (tensor.type === GGML_F32) out.f32(value);
      else out.f16(value);
    }
  });
  out.pad(ALIGNMENT);
  return out.bytes();
}

/** The weights of each tensor: random ones, or a lookup table when `chain` is given. */
function tensorValues(
  next: () => number,
  embd: number,
  tokens: string[],
  chain: Record<string, string> | undefined,
): (tensor: Tensor) => Float32Array {
  const count = (tensor: Tensor) => tensor.dims.reduce((a, b) => a * b, 1);
  const uniform = (size: number, scale: number) =>
    Float32Array.from({ length: size }, () => (next() * 2 - 1) * scale);
  const byName = new Map<string, Float32Array>();
  if (chain) {
    // token_embd rows are random directions; output row b points along token a's (normalized)
    // direction, so with the blocks zeroed the logits after a peak at b.
    const embedding = uniform(tokens.length * embd, Math.sqrt(3));
    const output = new Float32Array(tokens.length * embd);
    for (const [from, to] of Object.entries(chain)) {
      const a = tokens.indexOf(from);
      const b = tokens.indexOf(to);
      const row = embedding.subarray(a * embd, (a + 1) * embd);
      const rms = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0) / embd);
      for (let i = 0; i < embd; i++) output[b * embd + i] += (8 / Math.sqrt(embd)) * row[i] / rms;
    }
    byName.set("token_embd.weight", embedding);
    byName.set("output.weight", output);
  }
  return (tensor) => {
    const known = byName.get(tensor.name);
    if (known) return known;
    // Norm weights of 1 and small weights elsewhere keep activations finite through the layers.
    if (tensor.name.includes("norm")) return new Float32Array(count(tensor)).fill(1);
    if (chain) return new Float32Array(count(tensor));
    return uniform(count(tensor), 2 / Math.sqrt(tensor.dims[0]));
  };
}

function writeValue(out: Writer, value: Value): void {
  switch (value.type) {
    case T.U32:
      return out.u32(value.value);
    case T.I32:
      return out.i32(value.value);
    case T.F32:
      return out.f32(value.value);
    case T.BOOL:
      return out.u8(value.value ? 1 : 0);
    case T.STRING:
      return out.string(value.value);
    case T.ARRAY:
      out.u32(value.of);
      out.u64(value.value.length);
      for (const item of value.value) {
        if (value.of === T.STRING) out.string(item as string);
        else if (value.of === T.F32) out.f32(item as number);
        else out.i32(item as number);
      }
  }
}

/** Writes the tiny GGUF to `path`; returns its size in bytes. */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<number> {
  const bytes = buildTinyGguf(options);
  await Deno.writeFile(path, bytes);
  return bytes.length;
}

if (import.meta.main) {
  const [path, flag, seed] = Deno.args;
  if (!path) {
    console.error("Usage: deno run -A scripts/make_tiny_gguf.ts OUT.gguf [--seed N]");
    Deno.exit(2);
  }
  const size = await writeTinyGguf(path, flag === "--seed" ? { seed: Number(seed) } : {});
  console.log(`Wrote ${path} (${size} bytes)`);
}
