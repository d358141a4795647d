/**
 * @module POSIX path functions with `node:path`'s results (`tests/core/path_test.ts` compares
 * them), for the modules on the gateway's start path. Importing `node:path` loads Deno's Node
 * compatibility layer (its errors, assert, util and inspect modules: ~15 ms and some memory on
 * every start, issue 17); pyclaw runs on Linux only, where `node:path` is its POSIX half.
 */

/** The path separator. */
export const sep = "/";

/** Resolves `.` and `..` segments of `path` (without its leading slash). */
function normalizeSegments(path: string, allowAboveRoot: boolean): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (allowAboveRoot) out.push("..");
      continue;
    }
    out.push(segment);
  }
  return out.join("/");
}

/** Whether `path` starts at the root. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** `path` with `.`/`..` resolved and repeated slashes joined; a trailing slash is kept. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  const trailing = path.endsWith("/");
  let out = normalizeSegments(path, !absolute);
  if (out === "" && !absolute) out = ".";
  if (out !== "" && trailing) out += "/";
  return absolute ? `/${out}` : out;
}

/** The non-empty parts joined with `/` and normalized; `.` when there are none. */
export function join(...parts: string[]): string {
  const joined = parts.filter((part) => part !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The absolute path of `parts` resolved right to left, from the working directory. */
export function resolve(...parts: string[]): string {
  let resolved = "";
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const part = i >= 0 ? parts[i] : Deno.cwd();
    if (part === "") continue;
    resolved = `${part}/${resolved}`;
    absolute = isAbsolute(part);
  }
  const out = normalizeSegments(resolved, !absolute);
  return absolute ? `/${out}` : out || ".";
}

/** The path from `from` to `to`, both resolved first. */
export function relative(from: string, to: string): string {
  if (from === to) return "";
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...Array(a.length - common).fill(".."), ...b.slice(common)].join("/");
}

/** `path` without its trailing slashes; the root stays `/`. */
function trimTrailing(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  return path.slice(0, end);
}

/** The folder part of `path`: `.` for a bare name, `/` for the root (node:path's scan). */
export function dirname(path: string): string {
  if (path === "") return ".";
  const hasRoot = path[0] === "/";
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") matchedSlash = false;
    else if (!matchedSlash) {
      end = i;
      break;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}

/** The last part of `path`, without `suffix` where it ends with it (node:path's scan). */
export function basename(path: string, suffix?: string): string {
  if (suffix === undefined || suffix === "" || suffix.length > path.length) {
    const trimmed = trimTrailing(path);
    return trimmed === "/" ? "" : trimmed.slice(trimmed.lastIndexOf("/") + 1);
  }
  if (suffix === path) return "";
  let start = 0;
  let end = -1;
  let matchedSlash = true;
  let suffixAt = suffix.length - 1;
  let nameEnd = -1;
  for (let i = path.length - 1; i >= 0; i--) {
    if (path[i] === "/") {
      if (!matchedSlash) {
        start = i + 1;
        break;
      }
      continue;
    }
    if (nameEnd === -1) {
      matchedSlash = false;
      nameEnd = i + 1;
    }
    if (suffixAt >= 0) {
      if (path[i] === suffix[suffixAt]) {
        if (--suffixAt === -1) end = i;
      } else {
        suffixAt = -1;
        end = nameEnd;
      }
    }
  }
  if (start === end) end = nameEnd;
  else if (end === -1) end = path.length;
  return path.slice(start, end);
}

/** The extension of the last part, from its last `.` (none for a leading dot or `..`). */
export function extname(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  return dot <= 0 || base === ".." ? "" : base.slice(dot);
}
