/**
 * @module The shape of a model hub's repo id (`owner/name`), checked by the downloader and by
 * `pyclaw models download`'s argument parser, which must not load the downloader to check it.
 */

const REPO_ID = /^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/;

/**
 * Whether `repo` looks like a HuggingFace or ModelScope repo id: `owner/name` (or a bare `name`),
 * each part starting with a letter or digit and holding letters, digits and `_ . -`, with no `..`.
 *
 * @example
 * ```ts
 * isRepoId("Qwen/Qwen3-4B-GGUF"); // true
 * isRepoId("../etc"); // false
 * ```
 */
export function isRepoId(repo: string): boolean {
  return REPO_ID.test(repo) && !repo.includes("..");
}

/** How a refused repo id is reported, by the downloader and the CLI alike. */
export function notARepoIdMessage(repo: string): string {
  return `Not a repo id: "${repo}" (expected owner/name, e.g. Qwen/Qwen3-4B-GGUF)`;
}
