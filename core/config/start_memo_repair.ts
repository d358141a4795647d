/**
 * @module Repairs of the start memo's directory and secret (core/config/start_memo.ts) that
 * would otherwise turn the memo off for good, each found by review: a cache dir an earlier
 * version left group-writable, and a secret file a killed start left short. Run only when a
 * memo is written, i.e. after a full validation, so a memo start never loads this module.
 */

/**
 * Makes `dir` 0700 when it is this user's own directory but group- or other-writable, e.g. a
 * cache dir an earlier version made under umask 002: left so, every later memo would be refused
 * and every start would validate for good. Someone else's directory, or a link, is left alone
 * (and then fails the ownership check).
 */
export async function tightenOwnDir(dir: string): Promise<void> {
  try {
    const info = await Deno.lstat(dir);
    if (
      info.isDirectory && info.uid !== null && info.uid === Deno.uid() && info.mode !== null &&
      (info.mode & 0o022) !== 0
    ) await Deno.chmod(dir, 0o700);
  } catch { /* the ownership check that follows refuses it */ }
}

/**
 * Replaces a secret file shorter than a key (a start killed between creating it and writing
 * it): kept, it would make every later memo be refused. The new one is written aside and renamed
 * over, so a reader sees the old file or the whole new one; a racing start that renames after
 * this one only costs the memo this start writes.
 */
export async function replaceShortSecret(file: string): Promise<void> {
  try {
    const info = await Deno.lstat(file);
    if (!info.isFile || info.size >= 32) return;
    const aside = `${file}.${crypto.randomUUID()}.tmp`;
    await Deno.writeFile(aside, crypto.getRandomValues(new Uint8Array(32)), {
      createNew: true,
      mode: 0o600,
    });
    await Deno.rename(aside, file).catch(() => Deno.remove(aside).catch(() => {}));
  } catch { /* the check that follows refuses what is there */ }
}
