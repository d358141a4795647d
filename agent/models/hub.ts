/**
 * @module Clients of the two model hubs, HuggingFace and ModelScope, over their public HTTP APIs:
 * a repo's files (with sizes and the LFS sha256) and each file's download request. Endpoints come
 * from `HF_ENDPOINT` / `MODELSCOPE_ENDPOINT` so mirrors work; `HF_TOKEN` opens gated repos.
 */

import type { HubSource } from "./model_store.ts";
import { isRepoId, notARepoIdMessage } from "../../core/repo_id.ts";

/** A file of a hub repo. */
export interface HubFile {
  /** Path inside the repo, `/`-separated. */
  path: string;
  size: number;
  /** The hub's sha256 of the content (LFS files); absent for small git-stored files. */
  sha256?: string;
}

/** Why a download failed; the CLI maps each to a message and a non-zero exit. */
export type DownloadFailure =
  | "not_found"
  | "forbidden"
  | "no_gguf"
  | "bad_request"
  | "checksum"
  | "size"
  | "disk_full"
  | "connection"
  | "interrupted"
  | "unsupported"
  | "busy"
  | "http";

/** A failure of a hub request or a download, with a message meant for the user. */
export class ModelDownloadError extends Error {
  readonly failure: DownloadFailure;
  constructor(failure: DownloadFailure, message: string) {
    super(message);
    this.name = "ModelDownloadError";
    this.failure = failure;
  }
}

/** What a client needs to fetch one file. */
export interface DownloadRequest {
  url: string;
  headers: Record<string, string>;
}

/** One hub. */
export interface HubClient {
  readonly source: HubSource;
  /** Display name: "HuggingFace" or "ModelScope". */
  readonly label: string;
  readonly endpoint: string;
  /** Every file of the repo's default branch. @throws {ModelDownloadError} */
  listFiles(repo: string, signal?: AbortSignal): Promise<HubFile[]>;
  downloadRequest(repo: string, file: string): DownloadRequest;
}

const META_TIMEOUT_MS = 30_000;

/** Throws unless `repo` looks like `owner/name`. */
export function assertRepoId(repo: string): void {
  if (!isRepoId(repo)) throw new ModelDownloadError("bad_request", notARepoIdMessage(repo));
}

/** The client for `source`, configured from the environment. */
export function hubClient(
  source: HubSource,
  env: Record<string, string | undefined>,
): HubClient {
  return source === "modelscope" ? modelScopeClient(env) : huggingFaceClient(env);
}

function trimEndpoint(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

async function getJson(
  url: string,
  headers: Record<string, string>,
  label: string,
  signal?: AbortSignal,
): Promise<Response> {
  const timeout = AbortSignal.timeout(META_TIMEOUT_MS);
  try {
    return await fetch(url, {
      headers: { accept: "application/json", ...headers },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    if (signal?.aborted) throw new ModelDownloadError("interrupted", "Interrupted");
    throw new ModelDownloadError(
      "connection",
      `Cannot reach ${label} at ${new URL(url).origin}: ${(error as Error).message}`,
    );
  }
}

async function readJson(response: Response, label: string, endpoint: string): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    // A mirror URL that serves a web page instead of the API lands here.
    throw new ModelDownloadError(
      "http",
      `${label} at ${endpoint} did not answer with JSON; check the endpoint variable`,
    );
  }
}

/** A hub (or a mirror) that answered JSON, but not in the shape its API documents. */
function unexpectedAnswer(label: string, endpoint: string, what: string): ModelDownloadError {
  return new ModelDownloadError(
    "http",
    `Unexpected answer from the hub: ${label} at ${endpoint} sent ${what}; check the endpoint variable`,
  );
}

function huggingFaceClient(env: Record<string, string | undefined>): HubClient {
  const endpoint = trimEndpoint(env.HF_ENDPOINT || "https://huggingface.co");
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const label = "HuggingFace";

  async function check(response: Response, repo: string): Promise<void> {
    if (response.ok) return;
    const code = response.headers.get("x-error-code") ?? "";
    await response.body?.cancel();
    // The hub answers 401 for a repo that does not exist, so as not to reveal private ones.
    if (response.status === 404 || code === "RepoNotFound" || response.status === 401) {
      throw new ModelDownloadError(
        "not_found",
        `Repository not found on ${label}: ${repo}` +
          (token
            ? " (or HF_TOKEN has no access to it)"
            : " (if it is private or gated, set HF_TOKEN)"),
      );
    }
    if (response.status === 403 || code === "GatedRepo") {
      throw new ModelDownloadError(
        "forbidden",
        `Access to ${repo} is restricted: accept its terms on ${label} and set HF_TOKEN`,
      );
    }
    throw new ModelDownloadError("http", `${label} answered HTTP ${response.status} for ${repo}`);
  }

  return {
    source: "huggingface",
    label,
    endpoint,
    async listFiles(repo, signal) {
      assertRepoId(repo);
      const info = await getJson(`${endpoint}/api/models/${repo}`, headers, label, signal);
      await check(info, repo);
      await info.body?.cancel();
      const files: HubFile[] = [];
      let next: string | undefined = `${endpoint}/api/models/${repo}/tree/main?recursive=true`;
      while (next) {
        const response = await getJson(next, headers, label, signal);
        await check(response, repo);
        const entries = await readJson(response, label, endpoint) as ({
          type?: string;
          path?: string;
          size?: number;
          lfs?: { oid?: string; sha256?: string; size?: number };
        } | null)[];
        if (!Array.isArray(entries)) {
          throw unexpectedAnswer(label, endpoint, "no file list for the repository tree");
        }
        for (const entry of entries) {
          if (entry?.type !== "file" || typeof entry.path !== "string") continue;
          const sha256 = entry.lfs?.oid ?? entry.lfs?.sha256;
          files.push({
            path: entry.path,
            size: entry.lfs?.size ?? entry.size ?? 0,
            ...(sha256 ? { sha256 } : {}),
          });
        }
        // Large repos are paginated with a `Link: <...>; rel="next"` header.
        const link = response.headers.get("link")?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
        next = link ? new URL(link, endpoint).href : undefined;
      }
      return files;
    },
    downloadRequest(repo, file) {
      return { url: `${endpoint}/${repo}/resolve/main/${encodePath(file)}`, headers };
    },
  };
}

function modelScopeClient(env: Record<string, string | undefined>): HubClient {
  const domain = env.MODELSCOPE_DOMAIN?.trim();
  const endpoint = trimEndpoint(
    env.MODELSCOPE_ENDPOINT || (domain ? `https://${domain}` : "https://www.modelscope.cn"),
  );
  const label = "ModelScope";

  // ModelScope wraps every answer in `{ Code, Message, Data, Success }`.
  async function data<T>(response: Response, repo: string): Promise<T> {
    const body = await readJson(response, label, endpoint).catch(() => undefined) as
      | { Code?: number; Message?: string; Data?: T; Success?: boolean }
      | undefined;
    if (response.ok && body?.Success !== false && body?.Data !== undefined) return body.Data;
    if (response.status === 404 || response.ok || body?.Success === false) {
      throw new ModelDownloadError("not_found", `Repository not found on ${label}: ${repo}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new ModelDownloadError("forbidden", `Access to ${repo} on ${label} is restricted`);
    }
    throw new ModelDownloadError("http", `${label} answered HTTP ${response.status} for ${repo}`);
  }

  return {
    source: "modelscope",
    label,
    endpoint,
    async listFiles(repo, signal) {
      assertRepoId(repo);
      await data(await getJson(`${endpoint}/api/v1/models/${repo}`, {}, label, signal), repo);
      const url = `${endpoint}/api/v1/models/${repo}/repo/files?Revision=master&Recursive=true`;
      const listing = await data<{ Files?: (Record<string, unknown> | null)[] } | null>(
        await getJson(url, {}, label, signal),
        repo,
      );
      const files = listing?.Files ?? [];
      if (!Array.isArray(files)) {
        throw unexpectedAnswer(label, endpoint, "no file list for the repository");
      }
      return files
        .filter((f): f is Record<string, unknown> =>
          f !== null && typeof f === "object" && f.Type !== "tree" && typeof f.Path === "string"
        )
        .map((f) => ({
          path: f.Path as string,
          size: typeof f.Size === "number" ? f.Size : 0,
          ...(typeof f.Sha256 === "string" && f.Sha256 ? { sha256: f.Sha256 } : {}),
        }));
    },
    downloadRequest(repo, file) {
      const query = `Revision=master&FilePath=${encodeURIComponent(file)}`;
      return { url: `${endpoint}/api/v1/models/${repo}/repo?${query}`, headers: {} };
    },
  };
}
