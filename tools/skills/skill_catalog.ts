/**
 * @module Skills: folders with a `SKILL.md` (YAML front matter `name`, `description`, then the
 * instructions). They are found in the agent's workspace `skills/`, the config's `skills.dirs`
 * and the state dir's `skills/`; on a name clash the first of those wins, so a workspace can
 * override a shared skill.
 */

import { basename, dirname, join, resolve, sep as SEP } from "../../core/path.ts";
import { homedir } from "../../core/paths.ts";

/** Where a skill was found. */
export type SkillSource = "workspace" | "config" | "state";

/** A skill as `skills.list` shows it. */
export interface Skill {
  name: string;
  description: string;
  /** The skill's folder. */
  dir: string;
  /** Its `SKILL.md`. */
  file: string;
  source: SkillSource;
}

/** The folders searched for skills, in precedence order. */
export interface SkillRoots {
  /** The agent's workspace; its `skills/` folder comes first. */
  workspaceDir?: string;
  /** `skills.dirs` from the config, resolved against `baseDir`. */
  dirs: readonly string[];
  /** The state dir's `skills/`. */
  stateSkillsDir: string;
  /** What relative `dirs` are relative to (the state dir). */
  baseDir: string;
}

const SKILL_FILE = "SKILL.md";
/** Bigger SKILL.md files are skipped: a skill is instructions, not a data dump. */
const MAX_SKILL_BYTES = 256 * 1024;

/** Every skill, sorted by name; unreadable folders and files are skipped. */
export async function listSkills(roots: SkillRoots): Promise<Skill[]> {
  const found = new Map<string, Skill>();
  // The folders are read at once (a turn lists them all); precedence is their order here.
  const listed = await Promise.all(
    rootFolders(roots).map(({ dir, source }) => skillsIn(dir, source)),
  );
  for (const skills of listed) {
    for (const skill of skills) {
      if (!found.has(skill.name)) found.set(skill.name, skill);
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A skill's instructions (the text after the front matter), or `undefined` for an unknown name. */
export async function readSkill(
  roots: SkillRoots,
  name: string,
): Promise<{ skill: Skill; body: string } | undefined> {
  const skill = (await listSkills(roots)).find((entry) => entry.name === name);
  if (!skill) return undefined;
  const text = await Deno.readTextFile(skill.file);
  return { skill, body: (await parseSkillFile(text)).body.trim() };
}

/** Splits `SKILL.md` into its front matter fields and its body. */
export async function parseSkillFile(
  text: string,
): Promise<{ name?: string; description?: string; body: string }> {
  const match = text.replace(/^\uFEFF/, "").match(
    /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/,
  );
  if (!match) return { body: text };
  const { parse } = await import("yaml");
  let data: unknown;
  try {
    data = parse(match[1]);
  } catch {
    data = undefined;
  }
  const fields = data && typeof data === "object" ? data as Record<string, unknown> : {};
  const str = (value: unknown) =>
    typeof value === "string" && value.trim() ? value.trim() : undefined;
  return {
    name: str(fields.name),
    description: str(fields.description),
    body: text.slice(match[0].length),
  };
}

function rootFolders(roots: SkillRoots): { dir: string; source: SkillSource }[] {
  const folders: { dir: string; source: SkillSource }[] = [];
  if (roots.workspaceDir) {
    folders.push({ dir: join(roots.workspaceDir, "skills"), source: "workspace" });
  }
  for (const dir of roots.dirs) {
    const expanded = dir === "~" || dir.startsWith("~/") ? join(homedir(), dir.slice(1)) : dir;
    folders.push({ dir: resolve(roots.baseDir, expanded), source: "config" });
  }
  folders.push({ dir: roots.stateSkillsDir, source: "state" });
  return folders;
}

async function skillsIn(root: string, source: SkillSource): Promise<Skill[]> {
  const skills: Skill[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(root));
  } catch {
    return skills; // an absent folder simply has no skills
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const dir = join(root, entry.name);
    const file = join(dir, SKILL_FILE);
    try {
      const info = await Deno.stat(file);
      if (!info.isFile || info.size > MAX_SKILL_BYTES) continue;
      const parsed = await parseSkillFile(await Deno.readTextFile(file));
      skills.push({
        name: parsed.name ?? basename(dir),
        description: parsed.description ?? firstLine(parsed.body),
        dir,
        file,
        source,
      });
    } catch {
      continue; // not a skill folder, or unreadable
    }
  }
  return skills;
}

function firstLine(body: string): string {
  return body.split("\n").map((line) => line.replace(/^#+\s*/, "").trim()).find(Boolean) ?? "";
}

/**
 * The system prompt's part about skills: their names and descriptions, and how to load one.
 * Empty when there are none.
 */
export function skillsPromptSection(
  skills: readonly Pick<Skill, "name" | "description">[],
): string {
  if (!skills.length) return "";
  return [
    "Skills available (instructions for particular tasks). When a task matches one, call the " +
    "read_skill tool with its name first, then follow its instructions:",
    ...skills.map((skill) => `- ${skill.name}: ${skill.description}`),
  ].join("\n");
}

/** The skills of one gateway: its config's `skills.dirs` and its state dir, plus a workspace. */
export class SkillCatalog {
  #dirs: () => readonly string[];
  #stateDir: string;
  #closed = false;
  #cached = new Map<string, { skills: Promise<Skill[]>; forget: () => void }>();

  /**
   * @param dirs the config's `skills.dirs`, read on every call so a reload applies
   * @param stateDir the state dir: its `skills/` folder, and the base of relative `dirs`
   */
  constructor(dirs: () => readonly string[], stateDir: string) {
    this.#dirs = dirs;
    this.#stateDir = stateDir;
  }

  roots(workspaceDir?: string): SkillRoots {
    return {
      workspaceDir,
      dirs: this.#dirs(),
      stateSkillsDir: join(this.#stateDir, "skills"),
      baseDir: this.#stateDir,
    };
  }

  list(workspaceDir?: string): Promise<Skill[]> {
    return listSkills(this.roots(workspaceDir));
  }

  /**
   * The skills as {@linkcode list} finds them, listed once and kept until a watcher on their
   * folders sees a change (issue 17: a turn does not list folders). A folder that does not
   * exist yet is watched through its parent, so creating it counts as a change.
   */
  listCached(workspaceDir?: string): Promise<Skill[]> {
    const roots = this.roots(workspaceDir);
    if (this.#closed) return listSkills(roots); // a turn still running at shutdown
    const key = rootFolders(roots).map(({ dir }) => dir).join("\0");
    let entry = this.#cached.get(key);
    if (!entry) {
      const watchers: Deno.FsWatcher[] = [];
      const forget = () => {
        if (this.#cached.get(key) === entry) this.#cached.delete(key);
        for (const watcher of watchers.splice(0)) watcher.close();
      };
      // Watch first, then list: a change while listing is a change after it.
      const skills = watchFolders(roots, watchers, forget).then(() => listSkills(roots));
      entry = { skills, forget };
      this.#cached.set(key, entry);
      skills.catch(forget);
      // A reload that changes `skills.dirs` leaves old keys behind; a few are plenty.
      if (this.#cached.size > MAX_CACHED_ROOTS) this.#cached.values().next().value!.forget();
    }
    return entry.skills;
  }

  /** Stops watching skills folders (the gateway's shutdown). */
  close(): void {
    this.#closed = true;
    for (const entry of [...this.#cached.values()]) entry.forget();
  }

  read(name: string, workspaceDir?: string): Promise<{ skill: Skill; body: string } | undefined> {
    return readSkill(this.roots(workspaceDir), name);
  }
}

const MAX_CACHED_ROOTS = 16;

/**
 * Starts watchers that call `changed` once anything in the skills folders changes: each folder
 * recursively, or, when it is not there yet, the nearest folder above it that is (a workspace
 * is made with its first file, so an agent's `skills/` may lack its parent too), where making
 * any folder on the way counts. Creating a watcher is a quick system call; deciding what to
 * watch is asynchronous.
 */
async function watchFolders(
  roots: SkillRoots,
  watchers: Deno.FsWatcher[],
  changed: () => void,
): Promise<void> {
  const targets = await Promise.all(rootFolders(roots).map(({ dir }) => watchTarget(dir)));
  for (const target of targets) {
    if (!target) continue;
    const { dir, path } = target;
    const watcher = Deno.watchFs(path, { recursive: path === dir });
    watchers.push(watcher);
    // A folder above (the state dir, a workspace) sees other writes too: only the skills folder
    // and the folders on the way to it count.
    const ours = (changedPath: string) =>
      changedPath === dir || changedPath.startsWith(dir + SEP) ||
      (changedPath.startsWith(path + SEP) && dir.startsWith(changedPath + SEP));
    (async () => {
      for await (const event of watcher) if (event.paths.some(ours)) return changed();
    })().catch(changed);
  }
  // A folder made between the look and the watch sent no event to its watcher. Checked once
  // every watcher is in `watchers`: `changed` closes those, so none made after it would leak.
  for (const target of targets) {
    if (!target || target.path === target.dir) continue;
    if ((await watchTarget(target.dir))?.path !== target.path) return changed();
  }
}

/** What watches `dir`: itself when it exists, else the nearest folder above it that does. */
async function watchTarget(dir: string): Promise<{ dir: string; path: string } | undefined> {
  for (let path = dir;; path = dirname(path)) {
    if (await isDirectory(path)) return { dir, path };
    if (dirname(path) === path) return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return await Deno.stat(path).then((info) => info.isDirectory, () => false);
}
