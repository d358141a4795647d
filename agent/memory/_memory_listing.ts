/**
 * @module The workspace's memory files as last listed, so that a search does not walk the memory
 * folder (which gains a note a day) while the folder watchers report no change in it.
 */

import { findMemoryFiles, folderTime, type FoundFile, type MemoryWalk } from "./_sources.ts";

/**
 * How far back from a walk a folder's modification time makes the walk's listing unsure. File
 * times are coarse (a clock tick on Linux, two seconds on FAT): a file made in the same tick as
 * the walk, after it, leaves its folder's time as the walk saw it.
 */
const UNSURE_MS = 2_000;

interface Listed extends MemoryWalk {
  workspaceDir: string;
  /** A folder changed so close to the walk that a change after it may not show. */
  unsure: boolean;
}

/** One agent's memory files, walked again only when they may have changed. */
export class MemoryListing {
  #listed: Listed | undefined;
  /** Something may have changed since the last walk began. */
  #changed = true;

  /** A watcher saw a change (or may have missed one): the next look walks the folder. */
  markChanged(): void {
    this.#changed = true;
  }

  /**
   * The memory files now. The last listing is reused only while `watched` (watchers on the
   * workspace and its `memory/` folder report every change to them) and nothing was reported
   * since. Its folders are still stat'ed: a watcher's event comes a moment after the write
   * that caused it, and a note the agent has just written (temp file, then rename: its folder's
   * time changes) must be found by the search that follows. An edit in place shows only
   * through its event. Without watchers every look walks, asynchronously.
   */
  async files(workspaceDir: string, watched: boolean): Promise<FoundFile[]> {
    const listed = this.#listed;
    const reusable = watched && !this.#changed && listed?.workspaceDir === workspaceDir &&
      !listed.unsure && await unchanged(listed.folders);
    // An event while the folders were stat'ed arrived after the look began.
    if (reusable && !this.#changed) return listed.files;
    return await this.#walk(workspaceDir);
  }

  async #walk(workspaceDir: string): Promise<FoundFile[]> {
    // Cleared first: an event during the walk may be about a change the walk missed.
    this.#changed = false;
    const started = Date.now();
    const walk = await findMemoryFiles(workspaceDir);
    const unsure = [...walk.folders.values()].some((time) => time > started - UNSURE_MS);
    this.#listed = { ...walk, workspaceDir, unsure };
    return walk.files;
  }
}

async function unchanged(folders: Map<string, number>): Promise<boolean> {
  const entries = [...folders];
  const times = await Promise.all(entries.map(([dir]) => folderTime(dir)));
  return entries.every(([, time], i) => times[i] === time);
}
