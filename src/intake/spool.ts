import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LeadlineError } from '../shared/errors.ts';
import { parseSpoolEntry, type SpoolEntry, type SpooledEntry } from './spool-entry.ts';

/** The spool is full: nothing more can be made durable until the log takes what it holds (503). */
export class SpoolFullError extends LeadlineError {
  constructor(maxBytes: number) {
    super(
      'INTAKE_FULL',
      `the log is unreachable and the local spool is full (${maxBytes} bytes); try again later`,
      503,
    );
  }
}

/** Settings of {@link Spool.open}. */
export interface SpoolOptions {
  /** Most bytes the spool holds; a write beyond it fails with {@link SpoolFullError}. */
  maxBytes: number;
}

const ENTRY = /^(\d{15})-(\d{9})-[0-9a-f]{8}\.json$/;

/**
 * A directory of webhook facts waiting for the log (design §12: "2xx means durable" while the
 * log is unreachable). Each entry is one file, written under a temporary name, fsynced,
 * renamed into place and the directory fsynced, so a write that returned survives a crash
 * of the process or the machine, and a write that did not return never looks complete.
 * Names sort in write order (`<ms since epoch, 15 digits>-<sequence>-<random>.json`), which
 * is the order entries are drained in; the queue of names is kept in memory (one process owns
 * a spool directory), so draining costs no directory listing. An entry that can never be
 * recorded is moved to `rejected/` with a `.error` file beside it, for an operator.
 */
export class Spool {
  private sequence = 0;
  /** Names of the entries waiting, oldest first, with their sizes. */
  private readonly queue: Array<{ name: string; bytes: number }> = [];
  /** Names being written (fsync not done): nothing at or after the oldest is drained yet. */
  private readonly writing = new Set<string>();
  private size = 0;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {}

  /**
   * Opens (creating) the spool in `dir`: queues what an earlier process left in it, and
   * removes temporary files of writes that never completed (never acknowledged to anyone).
   */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    await mkdir(path.join(dir, 'rejected'), { recursive: true, mode: 0o700 });
    const spool = new Spool(dir, options);
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (name.endsWith('.tmp')) await rm(path.join(dir, name), { force: true });
      else if (ENTRY.test(name)) {
        const bytes = (await stat(path.join(dir, name))).size;
        spool.queue.push({ name, bytes });
        spool.size += bytes;
      }
    }
    return spool;
  }

  /** Entries waiting, those still being written included. */
  pending(): number {
    return this.queue.length + this.writing.size;
  }

  /** Bytes waiting. */
  bytes(): number {
    return this.size;
  }

  /** When the oldest waiting entry was written (ms since the epoch), if any. */
  oldestAt(): number | undefined {
    const first = this.queue[0]?.name;
    return first ? Number(ENTRY.exec(first)![1]) : undefined;
  }

  /**
   * Writes `entry` durably (file and directory fsynced) before resolving.
   * @throws SpoolFullError when it would take the spool past its `maxBytes`.
   * @throws Error from the file system (disk full, permissions): nothing was acknowledged.
   */
  async write(entry: SpoolEntry, now = Date.now()): Promise<void> {
    const content = JSON.stringify(entry);
    const bytes = Buffer.byteLength(content);
    if (this.size + bytes > this.options.maxBytes) throw new SpoolFullError(this.options.maxBytes);
    const name = `${String(now).padStart(15, '0')}-${String(++this.sequence % 1e9).padStart(9, '0')}-${randomBytes(4).toString('hex')}.json`;
    const target = path.join(this.dir, name);
    const temporary = `${target}.tmp`;
    this.size += bytes; // reserved: concurrent writes cannot overshoot the bound together
    this.writing.add(name);
    try {
      const file = await open(temporary, 'wx', 0o600);
      try {
        await file.writeFile(content);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
      await this.syncDirectory();
    } catch (error) {
      this.size -= bytes;
      await rm(temporary, { force: true }).catch(() => {});
      throw error;
    } finally {
      this.writing.delete(name);
    }
    // Keep the queue in name order even if the clock stepped back between two writes.
    let at = this.queue.length;
    while (at > 0 && this.queue[at - 1]!.name > name) at--;
    this.queue.splice(at, 0, { name, bytes });
  }

  /**
   * Up to `limit` waiting entries, oldest first, stopping before any entry still being
   * written ahead of them (so a slow fsync cannot be overtaken). An unreadable one is moved
   * to `rejected/`.
   */
  async read(limit: number): Promise<SpooledEntry[]> {
    const firstWriting = [...this.writing].sort()[0];
    const found: SpooledEntry[] = [];
    for (const { name, bytes } of this.queue.slice(0, limit)) {
      if (firstWriting !== undefined && name > firstWriting) break;
      let content: string;
      try {
        content = await readFile(path.join(this.dir, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.forget(name); // removed from outside
        continue;
      }
      try {
        found.push({
          name,
          spooledAt: Number(ENTRY.exec(name)![1]),
          entry: parseSpoolEntry(content),
          bytes,
        });
      } catch (error) {
        await this.reject(name, error);
      }
    }
    return found;
  }

  /** Removes entries that were recorded. */
  async remove(entries: readonly SpooledEntry[]): Promise<void> {
    for (const entry of entries) {
      await rm(path.join(this.dir, entry.name), { force: true });
      this.forget(entry.name);
    }
    await this.syncDirectory();
  }

  /** Moves an entry that can never be recorded to `rejected/`, with the error beside it. */
  async reject(name: string, error: unknown): Promise<void> {
    const rejected = path.join(this.dir, 'rejected', name);
    await rename(path.join(this.dir, name), rejected);
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const file = await open(`${rejected}.error`, 'w', 0o600);
    try {
      await file.writeFile(why + '\n');
    } finally {
      await file.close();
    }
    this.forget(name);
  }

  private forget(name: string): void {
    const at = this.queue.findIndex((q) => q.name === name);
    if (at < 0) return;
    this.size = Math.max(0, this.size - this.queue[at]!.bytes);
    this.queue.splice(at, 1);
  }

  private async syncDirectory(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
