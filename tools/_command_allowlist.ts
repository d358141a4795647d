/**
 * @module `tools.exec.allowPatterns` read as promises about what a command does, not as text
 * globs: the command is parsed with `shell-quote`, every simple command of a list or pipeline
 * must match a pattern on its own, and anything that could reach past the workspace or run more
 * than the pattern shows (substitution, expansions, `~`, `..`, outside paths, leading
 * assignments, here-docs, here-strings, subshells, a command made only of redirections) is never
 * pre-approved. Such a command is not refused outright: it falls back to the policy (asked under
 * `ask`, refused under `deny`).
 */

import { isInsideDir } from "../core/fs.ts";
import { parse, type ParseEntry } from "shell-quote";
import { globMatch } from "../core/glob.ts";

/** Where a command runs: its folder and the agent's workspace, both absolute. */
export interface AllowlistPlace {
  /** The agent's workspace; absolute paths inside it may be named. */
  workspaceDir?: string;
  /** The folder the command runs in (inside the workspace). */
  cwd?: string;
}

/** Operators that separate simple commands of a list or pipeline. */
const SEPARATORS = new Set([";", "&&", "||", "|", "|&", "&"]);
/** Redirections whose target is a file (or an fd for the `&` forms). */
const REDIRECTS = new Set([">", ">>", "<", ">&", "<&"]);
/** Text the parser does not model faithfully, so no pattern can vouch for it. */
const UNPARSED = /[`\n\r\0]|[<>]\(/;
/** Brace expansion (`{a,b}`, `{1..3}`) turns one word into several the pattern never saw. */
const BRACES = /\{[^}]*(,|\.\.)[^}]*\}/;
/** A leading `NAME=value`: changes the environment (`LD_PRELOAD`, `PATH`) of what runs. */
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;
/** Files anyone may name: they hold nothing and reach nothing. */
const HARMLESS = new Set(["/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr"]);

interface SimpleCommand {
  words: string[];
  /** The operator after it (`;`, `&&`, `|`, ...), "" for the last. */
  separator: string;
  redirects: { op: string; target: string }[];
}

/**
 * True when `command` is pre-approved by `patterns` (`*` any text, `?` one character): each of
 * its simple commands, with quotes removed and redirections set aside, matches a pattern as a
 * whole, and nothing in it reaches outside `place.workspaceDir`. A pattern that itself chains
 * commands (`ls | wc -l`) matches a command of the same shape, part by part.
 */
export function matchesAllowPattern(
  command: string,
  patterns: readonly string[],
  place: AllowlistPlace = {},
): boolean {
  const simple = splitCommand(command);
  if (!simple || !simple.every((cmd) => staysInside(cmd, place))) return false;
  const texts = simple.map((cmd) => cmd.words.join(" "));
  const shape = simple.map((cmd) => cmd.separator).join(" ");
  const chains = patterns.map(patternChain);
  const singles = chains.filter((chain) => chain.globs.length === 1).map(({ globs }) => globs[0]);
  if (texts.every((text) => singles.some((glob) => globMatch(glob, text)))) return true;
  return chains.some((chain) =>
    chain.shape === shape && chain.globs.every((glob, i) => globMatch(glob, texts[i]))
  );
}

/**
 * A pattern read the way commands are: quotes removed (`sh -c 'make *'` is the words `sh`, `-c`,
 * `make *`), split at its operators into one glob per simple command, plus its shape.
 */
function patternChain(pattern: string): { globs: string[]; shape: string } {
  const parts: string[][] = [[]];
  const ops: string[] = [];
  let entries: ParseEntry[];
  try {
    entries = parse(pattern.trim(), (name) => `$${name}`);
  } catch {
    return { globs: [pattern.trim()], shape: "" };
  }
  for (const entry of entries) {
    const words = parts[parts.length - 1];
    if (typeof entry === "string") words.push(entry);
    else if ("comment" in entry) words.push(`#${entry.comment}`);
    else if (entry.op === "glob") words.push(entry.pattern);
    else if (SEPARATORS.has(entry.op)) {
      ops.push(entry.op);
      parts.push([]);
    } else words.push(entry.op);
  }
  return { globs: parts.map((words) => words.join(" ")), shape: [...ops, ""].join(" ") };
}

/** The simple commands of `command`, or undefined when any part of it cannot be vouched for. */
function splitCommand(command: string): SimpleCommand[] | undefined {
  if (UNPARSED.test(command)) return undefined;
  let expands = false;
  let entries: ParseEntry[];
  try {
    // Every `$NAME`, `${...}`, `$(...)` and `$'...'` calls back here: any of them is a refusal.
    entries = parse(command, () => {
      expands = true;
      return "";
    });
  } catch {
    return undefined;
  }
  if (expands) return undefined;
  const commands: SimpleCommand[] = [{ words: [], separator: "", redirects: [] }];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const current = commands[commands.length - 1];
    if (typeof entry === "string") {
      current.words.push(entry);
    } else if ("comment" in entry) {
      return undefined; // the parser drops text after `#` that bash might run
    } else if (entry.op === "glob") {
      current.words.push(entry.pattern);
    } else if (SEPARATORS.has(entry.op)) {
      current.separator = entry.op;
      commands.push({ words: [], separator: "", redirects: [] });
    } else if (REDIRECTS.has(entry.op) && typeof entries[i + 1] === "string") {
      current.redirects.push({ op: entry.op, target: entries[++i] as string });
    } else {
      return undefined; // subshells, here-docs, `;;`, `>|`, process substitution
    }
  }
  // A trailing `&` or `;` leaves an empty last command: nothing at all, not even a redirection.
  const last = commands[commands.length - 1];
  if (commands.length > 1 && last.words.length === 0 && last.redirects.length === 0) {
    commands.pop();
    commands[commands.length - 1].separator = "";
  }
  // Any other command without words is malformed or made only of redirections (`cat x; >f`,
  // and `cat x &>f`, which sh reads as `cat x &` then `>f`): it opens or empties files that no
  // pattern shows, so it is never vouched for.
  return commands.some((cmd) => cmd.words.length === 0) ? undefined : commands;
}

/** True when no word or redirection of `cmd` changes the environment or leaves the workspace. */
function staysInside(cmd: SimpleCommand, place: AllowlistPlace): boolean {
  if (ASSIGNMENT.test(cmd.words[0])) return false;
  for (const word of cmd.words) {
    if (!wordStaysInside(word, place)) return false;
  }
  for (const { op, target } of cmd.redirects) {
    if ((op === ">&" || op === "<&") && /^(\d+|-)$/.test(target)) continue; // fd duplication
    if (!wordStaysInside(target, place)) return false;
  }
  return true;
}

/**
 * True when `word` names nothing outside the workspace: no `~` that bash would expand, no `..`
 * segment, no brace expansion, no glob segment that can match `.`/`..`, and every absolute path
 * in it (`/x`, `--opt=/x`, `-f/x`) inside `place.workspaceDir`.
 */
function wordStaysInside(word: string, place: AllowlistPlace): boolean {
  // bash expands `~` at a word's start and after `=`/`:` in assignment-like words.
  if (/(^|[=:])~/.test(word)) return false;
  if (BRACES.test(word)) return false;
  for (const segment of word.split(/[/=:]/)) {
    if (segment === "..") return false;
    // `.*` and `[.]*` match `..` in some shells; a dotted glob segment is never vouched for.
    if (/^[.[]/.test(segment) && /[*?[]/.test(segment)) return false;
  }
  return absolutePaths(word).every((path) => insideWorkspace(path, place));
}

/** The absolute paths a word may name: the word itself, after an `=`, or after a short flag. */
function absolutePaths(word: string): string[] {
  const candidates = [word];
  const eq = word.indexOf("=");
  if (eq >= 0) candidates.push(word.slice(eq + 1));
  if (word.startsWith("-") && word.includes("/")) candidates.push(word.slice(word.indexOf("/")));
  return candidates.filter((candidate) => candidate.startsWith("/"));
}

function insideWorkspace(path: string, place: AllowlistPlace): boolean {
  if (HARMLESS.has(path)) return true;
  if (!place.workspaceDir) return false;
  // A glob reaches anything under the folder before its first wildcard: `/ws*` reaches `/ws2`.
  const wild = path.search(/[*?[]/);
  const base = wild < 0 ? path : path.slice(0, path.lastIndexOf("/", wild)) || "/";
  return isInsideDir(base, place.workspaceDir);
}
