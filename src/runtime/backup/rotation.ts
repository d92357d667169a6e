import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BACKUP_FILE_PATTERN } from './backup-format.ts';

/** Backups kept when `--keep` is not given. */
export const DEFAULT_KEEP = 7;

/** A `.partial` file untouched this long (ms) belongs to a backup that died: 1 hour. */
export const STALE_PARTIAL_MS = 60 * 60 * 1_000;

/** What {@link rotateBackups} removed. */
export interface RotationResult {
  /** Complete backups deleted, oldest first (file names). */
  deleted: string[];
  /** Leftovers of crashed backups deleted (file names). */
  stalePartials: string[];
}

/**
 * Every complete backup in `dir` (names matching `leadline-<UTC timestamp>.ndjson.gz`),
 * oldest first. A missing directory has none. Backups still being written (hidden
 * `.partial` names) are never listed.
 */
export async function listBackups(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // The timestamp is fixed-width UTC, so name order is time order.
  return names.filter((n) => BACKUP_FILE_PATTERN.test(n)).sort();
}

/**
 * Keeps the newest `keep` complete backups in `dir` and deletes the older ones; also deletes
 * `.partial` files of backups that died (untouched for {@link STALE_PARTIAL_MS}). Files that
 * are not Leadline backups are left alone.
 *
 * @param keep at least 1 (the backup just written is never deleted).
 * @throws RangeError when `keep` is below 1; file system errors other than a file already gone.
 */
export async function rotateBackups(
  dir: string,
  keep: number,
  now: Date = new Date(),
): Promise<RotationResult> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('keep must be at least 1');
  const backups = await listBackups(dir);
  const deleted = backups.slice(0, Math.max(0, backups.length - keep));
  for (const name of deleted) await rm(path.join(dir, name), { force: true });
  const stalePartials: string[] = [];
  for (const name of await readdir(dir)) {
    if (!/^\.leadline-.*\.partial$/.test(name)) continue;
    const info = await stat(path.join(dir, name)).catch(() => undefined);
    if (info && now.getTime() - info.mtimeMs > STALE_PARTIAL_MS) {
      await rm(path.join(dir, name), { force: true });
      stalePartials.push(name);
    }
  }
  return { deleted, stalePartials };
}
