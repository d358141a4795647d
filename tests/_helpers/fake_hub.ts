/**
 * @module A stand-in model hub for tests: one `Deno.serve` on port 0 that speaks HuggingFace's API
 * (`/api/models/…`, `/tree/main`, `/resolve/main/…` with a redirect to a CDN path) and ModelScope's
 * (`/api/v1/models/…`), serves the files it is given with Range support, and can drop a connection
 * mid-file, advertise a wrong checksum, or send slowly.
 */

import { createHash } from "node:crypto";

/** A file of a fake repo. */
export interface FakeFile {
  path: string;
  content: Uint8Array;
}

/** One request the hub saw. */
export interface HubRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

/** Options for {@linkcode startFakeHub}. */
export interface FakeHubOptions {
  /** Repo id → files; every repo is served on both APIs. */
  repos: Record<string, FakeFile[]>;
  /** Repos that answer 403 `GatedRepo` unless the request carries this bearer token. */
  gated?: { repos: string[]; token: string };
}

/** A running fake hub. */
export interface FakeHub {
  /** Base URL, e.g. `http://127.0.0.1:PORT`: use as HF_ENDPOINT and MODELSCOPE_ENDPOINT. */
  url: string;
  requests: HubRequest[];
  /** The next download of `repo/path` sends `bytes` bytes, then breaks the connection. */
  dropAfter(repoPath: string, bytes: number): void;
  /**
   * The next download of `repo/path` sends `bytes` bytes, then nothing more until the returned
   * function is called (or the hub closes): a test acts on a download under way, however slow
   * the machine, where a throttled one might have finished first.
   */
  stallAfter(repoPath: string, bytes: number): () => void;
  /** Advertise a wrong sha256 for `repo/path` in listings from now on. */
  wrongChecksum(repoPath: string): void;
  /** Answer every download whole (200), ignoring `Range`, like some mirrors do. */
  ignoreRange(): void;
  /** Send downloads in chunks of `chunk` bytes with `delayMs` between them. */
  throttle(chunk: number, delayMs: number): void;
  sha256(content: Uint8Array): string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sha1 = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex");

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Starts the hub on `127.0.0.1:0`. Close it at the end of the test. */
export function startFakeHub(options: FakeHubOptions): FakeHub {
  const requests: HubRequest[] = [];
  const drops = new Map<string, number>();
  const stalls = new Map<string, { at: number; released: Promise<void>; release(): void }>();
  const wrong = new Set<string>();
  let pace: { chunk: number; delayMs: number } | undefined;
  let rangeIgnored = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  /** Every stall's release, called at close so that no download waits on past the hub. */
  const releases = new Set<() => void>();

  const fileOf = (repo: string, path: string) => options.repos[repo]?.find((f) => f.path === path);
  const advertisedSha = (repo: string, file: FakeFile) =>
    wrong.has(`${repo}/${file.path}`) ? "0".repeat(64) : sha256(file.content);
  const gatedFor = (repo: string, request: Request) =>
    options.gated?.repos.includes(repo) &&
    request.headers.get("authorization") !== `Bearer ${options.gated.token}`;

  function serveFile(repo: string, file: FakeFile, request: Request): Response {
    const size = file.content.length;
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = {
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      etag: `"${sha256(file.content)}"`,
    };
    const range = rangeIgnored ? null : request.headers.get("range")?.match(/^bytes=(\d+)-$/);
    if (range) {
      start = Number(range[1]);
      if (start >= size) {
        return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
    }
    const body = file.content.subarray(start);
    headers["content-length"] = String(body.length);
    const key = `${repo}/${file.path}`;
    const dropAt = drops.get(key);
    drops.delete(key);
    let stall = stalls.get(key);
    stalls.delete(key);
    const chunk = pace?.chunk ?? 64 * 1024;
    const delayMs = pace?.delayMs ?? 0;
    let offset = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      cancel: () => void (cancelled = true),
      async pull(controller) {
        if (stall && start + offset >= stall.at) {
          await stall.released;
          stall = undefined;
          if (cancelled) return;
        }
        if (dropAt !== undefined && start + offset >= dropAt) {
          controller.close(); // fewer bytes than content-length: the client sees a cut connection
          return;
        }
        if (offset >= body.length) {
          controller.close();
          return;
        }
        if (delayMs) {
          await new Promise<void>((resolve) => {
            const id = setTimeout(() => (timers.delete(id), resolve()), delayMs);
            timers.add(id);
          });
        }
        let end = Math.min(body.length, offset + chunk);
        if (dropAt !== undefined) end = Math.min(end, Math.max(dropAt - start, offset + 1));
        if (stall) end = Math.min(end, Math.max(stall.at - start, offset + 1));
        controller.enqueue(body.slice(offset, end));
        offset = end;
      },
    });
    return new Response(stream, { status, headers });
  }

  function huggingFace(path: string, request: Request): Response | undefined {
    const api = path.match(/^\/api\/models\/([^/]+\/[^/]+)(\/tree\/main)?$/);
    if (api) {
      const repo = decodeURIComponent(api[1]);
      const files = options.repos[repo];
      if (!files) {
        // The real hub answers 401 for a missing repo, so as not to reveal private ones.
        return json({ error: "Repository not found" }, 401, { "x-error-code": "RepoNotFound" });
      }
      if (gatedFor(repo, request)) {
        return json({ error: "Access to model is restricted" }, 403, {
          "x-error-code": "GatedRepo",
        });
      }
      if (!api[2]) {
        return json({
          id: repo,
          modelId: repo,
          gated: Boolean(options.gated?.repos.includes(repo)),
          siblings: files.map((f) => ({ rfilename: f.path })),
        });
      }
      return json(files.map((f) => ({
        type: "file",
        oid: sha1(f.content),
        size: f.content.length,
        path: f.path,
        ...(f.path.endsWith(".json") ? {} : {
          lfs: { oid: advertisedSha(repo, f), size: f.content.length, pointerSize: 134 },
        }),
      })));
    }
    const resolve = path.match(/^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/);
    if (resolve) {
      const repo = decodeURIComponent(resolve[1]);
      const file = fileOf(repo, resolve[2].split("/").map(decodeURIComponent).join("/"));
      if (!file) {
        return json({ error: "Entry not found" }, 404, { "x-error-code": "EntryNotFound" });
      }
      if (gatedFor(repo, request)) return json({ error: "Gated" }, 403);
      // Like the real hub, LFS files redirect to a CDN URL.
      return new Response(null, {
        status: 302,
        headers: { location: `/cdn/${encodeURIComponent(repo)}/${resolve[2]}` },
      });
    }
    const cdn = path.match(/^\/cdn\/([^/]+)\/(.+)$/);
    if (cdn) {
      const repo = decodeURIComponent(cdn[1]);
      const file = fileOf(repo, cdn[2].split("/").map(decodeURIComponent).join("/"));
      return file ? serveFile(repo, file, request) : new Response("not found", { status: 404 });
    }
    return undefined;
  }

  function modelScope(url: URL, request: Request): Response | undefined {
    const match = url.pathname.match(/^\/api\/v1\/models\/([^/]+\/[^/]+)(\/repo\/files|\/repo)?$/);
    if (!match) return undefined;
    const repo = decodeURIComponent(match[1]);
    const files = options.repos[repo];
    if (!files) {
      return json(
        { Code: 10010205001, Message: `model ${repo} not exists`, Success: false },
        404,
      );
    }
    if (!match[2]) return json({ Code: 200, Data: { Path: repo.split("/")[0] }, Success: true });
    if (match[2] === "/repo/files") {
      return json({
        Code: 200,
        Data: {
          Files: files.map((f) => ({
            Name: f.path.split("/").at(-1),
            Path: f.path,
            Size: f.content.length,
            Sha256: advertisedSha(repo, f),
            Type: "blob",
            IsLFS: !f.path.endsWith(".json"),
          })),
        },
        Success: true,
      });
    }
    const file = fileOf(repo, url.searchParams.get("FilePath") ?? "");
    if (!file) return json({ Code: 404, Message: "file not found", Success: false }, 404);
    return serveFile(repo, file, request);
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    requests.push({
      method: request.method,
      path: url.pathname + url.search,
      ...(request.headers.get("range") ? { range: request.headers.get("range")! } : {}),
      ...(request.headers.get("authorization")
        ? { authorization: request.headers.get("authorization")! }
        : {}),
    });
    return huggingFace(url.pathname, request) ?? modelScope(url, request) ??
      new Response("not found", { status: 404 });
  });

  const close = async () => {
    for (const id of timers) clearTimeout(id);
    for (const release of releases) release();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    dropAfter: (repoPath, bytes) => drops.set(repoPath, bytes),
    stallAfter(repoPath, bytes) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const stall = { at: bytes, released: promise, release: () => resolve() };
      stalls.set(repoPath, stall);
      releases.add(stall.release);
      return stall.release;
    },
    wrongChecksum: (repoPath) => wrong.add(repoPath),
    ignoreRange: () => (rangeIgnored = true),
    throttle: (chunk, delayMs) => (pace = { chunk, delayMs }),
    sha256,
    close,
    [Symbol.asyncDispose]: close,
  };
}
