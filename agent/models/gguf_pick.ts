/**
 * @module Which GGUF of a repo to download: the one named by `--filename`, else the file a user
 * would pick by hand (Q4_K_M, else the nearest quantization). Split GGUFs come with all parts.
 */

import { ModelDownloadError } from "./hub.ts";
import type { HubFile } from "./hub.ts";

/** The chosen GGUF: `parts[0]` is the file llama.cpp opens; the rest are its split siblings. */
export interface GgufChoice {
  file: HubFile;
  parts: HubFile[];
  /** The quantization read from the name, e.g. `Q4_K_M`, if any. */
  quant?: string;
  /** True when the choice was made here rather than named by the user. */
  automatic: boolean;
}

// Nearest-first: similar size and quality to Q4_K_M, then larger, then smaller, then unquantized.
const PREFERENCE = [
  "Q4_K_M",
  "Q4_K_S",
  "Q4_K",
  "IQ4_XS",
  "IQ4_NL",
  "Q4_0",
  "Q4_1",
  "Q5_K_M",
  "Q5_K_S",
  "Q5_K",
  "Q5_0",
  "Q5_1",
  "Q3_K_L",
  "Q3_K_M",
  "Q6_K",
  "IQ3_M",
  "Q3_K_S",
  "IQ3_XS",
  "Q8_0",
  "Q2_K",
  "IQ2_M",
  "BF16",
  "F16",
  "F32",
];

const QUANT = /(?:^|[^A-Z0-9])((?:IQ|Q)\d(?:_[A-Z0-9]+)*|BF16|F16|F32)(?=[^A-Z0-9]|$)/;
const SPLIT = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The quantization named in a GGUF file name, upper-cased. */
export function quantOf(path: string): string | undefined {
  const name = path.split("/").at(-1)!.replace(/\.gguf$/i, "").toUpperCase();
  return name.match(QUANT)?.[1];
}

function isModelGguf(file: HubFile): boolean {
  // Vision projectors (mmproj) are GGUFs too, but not a model one can chat with.
  return /\.gguf$/i.test(file.path) && !/mmproj/i.test(file.path);
}

function splitParts(files: HubFile[], first: HubFile): HubFile[] {
  const match = first.path.match(SPLIT);
  if (!match) return [first];
  const prefix = first.path.slice(0, -match[0].length);
  const count = Number(match[2]);
  const parts: HubFile[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `${prefix}-${String(i).padStart(5, "0")}-of-${match[2]}.gguf`;
    const part = files.find((f) => f.path === name);
    if (!part) {
      throw new ModelDownloadError("not_found", `Split GGUF ${first.path} is missing part ${name}`);
    }
    parts.push(part);
  }
  return parts;
}

/**
 * Chooses the GGUF to download.
 *
 * @throws {ModelDownloadError} `no_gguf` when the repo has none; `not_found` for an unknown `filename`
 */
export function pickGguf(repo: string, files: HubFile[], filename?: string): GgufChoice {
  const ggufs = files.filter(isModelGguf);
  if (filename !== undefined) {
    const file = files.find((f) => f.path === filename);
    if (!file) {
      const names = ggufs.map((f) => f.path).slice(0, 20).join(", ");
      throw new ModelDownloadError(
        "not_found",
        `File not found in ${repo}: ${filename}` + (names ? ` (GGUF files: ${names})` : ""),
      );
    }
    if (!/\.gguf$/i.test(file.path)) {
      throw new ModelDownloadError(
        "bad_request",
        `Not a GGUF file: ${filename} (the llamacpp backend needs a .gguf file)`,
      );
    }
    return { file, parts: splitParts(files, file), quant: quantOf(file.path), automatic: false };
  }
  // Only the first part of a split model is a candidate.
  const candidates = ggufs.filter((f) => {
    const split = f.path.match(SPLIT);
    return !split || Number(split[1]) === 1;
  });
  if (candidates.length === 0) {
    throw new ModelDownloadError(
      "no_gguf",
      `No GGUF file in ${repo}` +
        (files.length
          ? ` (it has ${files.length} files, none ending in .gguf)`
          : " (it is empty)") +
        "; pick a GGUF repo, or use --backend mlx for an MLX repo on Apple Silicon",
    );
  }
  const rank = (file: HubFile) => {
    const index = PREFERENCE.indexOf(quantOf(file.path) ?? "");
    return index === -1 ? PREFERENCE.length : index;
  };
  const best =
    candidates.toSorted((a, b) =>
      rank(a) - rank(b) || a.path.length - b.path.length || a.path.localeCompare(b.path)
    )[0];
  return { file: best, parts: splitParts(files, best), quant: quantOf(best.path), automatic: true };
}
