/**
 * @module `models download`: from a repo id to a verified model in the store. Lists the repo
 * through the hub, chooses the GGUF (or, for MLX on Apple Silicon, the whole snapshot), downloads
 * into partial files, and moves them into the store only once every file checked out.
 */

import { dirname } from "../../core/path.ts";
import { downloadToPartial } from "./download_file.ts";
import { acquireDownloadLock } from "./download_lock.ts";
import { type GgufChoice, pickGguf } from "./gguf_pick.ts";
import {
  assertRepoId,
  type HubClient,
  hubClient,
  type HubFile,
  ModelDownloadError,
} from "./hub.ts";
import type { HubSource, LocalBackend, LocalModel, LocalModelStore } from "./model_store.ts";

/** What a download reports as it goes; the CLI draws it. */
export interface DownloadEvents {
  /** The repo was listed and the file(s) to fetch are known. */
  onPlan?: (plan: { hub: HubClient; files: HubFile[]; choice?: GgufChoice }) => void;
  onFileStart?: (file: HubFile, resumedFrom: number, index: number, count: number) => void;
  onProgress?: (received: number, total: number) => void;
  onFileDone?: (file: HubFile) => void;
}

/** Options for {@linkcode downloadModel}. */
export interface DownloadModelOptions {
  repo: string;
  /** A GGUF file of the repo; chosen automatically when absent. */
  filename?: string;
  /** @default "llamacpp" */
  backend?: LocalBackend;
  /** @default "huggingface" */
  source?: HubSource;
  /** Environment for hub endpoints and tokens. */
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  events?: DownloadEvents;
  /** The platform MLX is checked against. @default Deno.build */
  platform?: { os: string; arch: string };
}

/** The result: the model now in the store, and whether it was already there. */
export interface DownloadResult {
  model: LocalModel;
  alreadyPresent: boolean;
}

/** True on Apple Silicon, the only place MLX runs. */
export function isAppleSilicon(platform: { os: string; arch: string } = Deno.build): boolean {
  return platform.os === "darwin" && platform.arch === "aarch64";
}

/**
 * Downloads a model into `store`.
 *
 * @throws {ModelDownloadError} with a message for the user; partial files stay resumable except
 * after a checksum or size mismatch
 */
export async function downloadModel(
  store: LocalModelStore,
  options: DownloadModelOptions,
): Promise<DownloadResult> {
  const backend = options.backend ?? "llamacpp";
  const source = options.source ?? "huggingface";
  assertRepoId(options.repo);
  if (backend === "mlx") {
    // Refuse before touching the network: nothing downloaded here could ever run.
    const platform = options.platform ?? Deno.build;
    if (!isAppleSilicon(platform)) {
      throw new ModelDownloadError(
        "unsupported",
        `The mlx backend needs Apple Silicon (macOS on arm64); this machine is ` +
          `${platform.os} ${platform.arch}. Use a GGUF repo with --backend llamacpp instead`,
      );
    }
    if (options.filename !== undefined) {
      throw new ModelDownloadError(
        "bad_request",
        "--filename does not apply to --backend mlx: an MLX model is the whole repo snapshot",
      );
    }
  }
  const hub = hubClient(source, options.env);
  const files = await hub.listFiles(options.repo, options.signal);
  if (backend === "mlx") {
    const snapshot = files.filter((f) => !f.path.startsWith("."));
    if (snapshot.length === 0) {
      throw new ModelDownloadError("not_found", `Repository ${options.repo} has no files`);
    }
    options.events?.onPlan?.({ hub, files: snapshot });
    return await fetchInto(store, hub, options, {
      id: options.repo,
      backend,
      files: snapshot,
      root: options.repo,
    });
  }
  const choice = pickGguf(options.repo, files, options.filename);
  options.events?.onPlan?.({ hub, files: choice.parts, choice });
  return await fetchInto(store, hub, options, {
    id: `${options.repo}/${choice.file.path}`,
    backend,
    files: choice.parts,
    root: `${options.repo}/${choice.file.path}`,
  });
}

interface FetchPlan {
  id: string;
  backend: LocalBackend;
  files: HubFile[];
  /** The model's path relative to the store: the main GGUF, or the snapshot folder. */
  root: string;
}

async function fetchInto(
  store: LocalModelStore,
  hub: HubClient,
  options: DownloadModelOptions,
  plan: FetchPlan,
): Promise<DownloadResult> {
  const modelPath = store.pathFor(plan.root);
  if (!modelPath) {
    throw new ModelDownloadError("bad_request", `Not a safe model path: ${plan.root}`);
  }
  const existing = await store.get(plan.id);
  const mainSha = plan.backend === "llamacpp" ? plan.files[0].sha256 : undefined;
  if (
    existing && await isComplete(existing.path, existing.size) &&
    (!mainSha || existing.sha256 === mainSha)
  ) {
    return { model: existing, alreadyPresent: true };
  }
  const partialMain = store.partialPathFor(hub.source, plan.id);
  if (!partialMain) throw new ModelDownloadError("bad_request", `Not a safe model id: ${plan.id}`);
  const lock = await acquireDownloadLock(`${partialMain}.lock`, plan.id);
  try {
    return await fetchLocked(store, hub, options, plan, modelPath, mainSha);
  } finally {
    await lock.release();
  }
}

async function fetchLocked(
  store: LocalModelStore,
  hub: HubClient,
  options: DownloadModelOptions,
  plan: FetchPlan,
  modelPath: string,
  mainSha: string | undefined,
): Promise<DownloadResult> {
  const { repo } = options;
  const staged: { partial: string; final: string }[] = [];
  for (const [index, file] of plan.files.entries()) {
    const repoPath = `${repo}/${file.path}`;
    const partial = store.partialPathFor(hub.source, repoPath);
    const final = store.pathFor(repoPath);
    if (!partial || !final) {
      throw new ModelDownloadError("bad_request", `Not a safe file path in ${repo}: ${file.path}`);
    }
    await downloadToPartial({
      request: hub.downloadRequest(repo, file.path),
      partialPath: partial,
      size: file.size,
      sha256: file.sha256,
      label: repoPath,
      signal: options.signal,
      onStart: (from) => options.events?.onFileStart?.(file, from, index, plan.files.length),
      onProgress: options.events?.onProgress,
    });
    options.events?.onFileDone?.(file);
    staged.push({ partial, final });
  }
  for (const { partial, final } of staged) {
    await Deno.mkdir(dirname(final), { recursive: true });
    await Deno.rename(partial, final);
  }
  const model: LocalModel = {
    id: plan.id,
    backend: plan.backend,
    size: plan.files.reduce((sum, f) => sum + f.size, 0),
    path: modelPath,
    ...(mainSha ? { sha256: mainSha } : {}),
    source: hub.source,
    repo,
    downloadedAt: new Date().toISOString(),
  };
  await store.add(model);
  return { model, alreadyPresent: false };
}

async function isComplete(path: string, size: number): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isDirectory || info.size <= size;
  } catch {
    return false;
  }
}
