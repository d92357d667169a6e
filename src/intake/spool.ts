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
 * is the order entries are drained in. An entry that can never be recorded is moved to
 * `rejected/` with a `.error` file beside it, for an operator.
 */
export class Spool {
  private sequence = 0;
  private count = 0;
  private size = 0;
  private oldest: number | undefined;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {}

  /**
   * Opens (creating) the spool in `dir`: counts what an earlier process left in it, and
   * removes temporary files of writes that never completed (never acknowledged to anyone).
   */
  static async open(dir: string, options: SpoolOptions): Promise<Spool> {
    await mkdir(path.join(dir, 'rejected'), { recursive: true, mode: 0o700 });
    const spool = new Spool(dir, options);
    for (const name of await readdir(dir)) {
      if (name.endsWith('.tmp')) await rm(path.join(dir, name), { force: true });
    }
    const entries = await spool.names();
    for (const name of entries) spool.size += (await stat(path.join(dir, name))).size;
    spool.count = entries.length;
    spool.oldest = entries[0] ? Number(ENTRY.exec(entries[0])![1]) : undefined;
    return spool;
  }

  /** Entries waiting. */
  pending(): number {
    return this.count;
  }

  /** Bytes waiting. */
  bytes(): number {
    return this.size;
  }

  /** When the oldest waiting entry was written (ms since the epoch), if any. */
  oldestAt(): number | undefined {
    return this.count > 0 ? this.oldest : undefined;
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
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
    await this.syncDirectory();
    if (this.count === 0) this.oldest = now;
    this.count++;
    this.size += bytes;
  }

  /** Up to `limit` waiting entries, oldest first. An unreadable one is moved to `rejected/`. */
  async read(limit: number): Promise<SpooledEntry[]> {
    const found: SpooledEntry[] = [];
    for (const name of (await this.names()).slice(0, limit)) {
      let content: string;
      try {
        content = await readFile(path.join(this.dir, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // drained elsewhere
        throw error;
      }
      try {
        found.push({
          name,
          spooledAt: Number(ENTRY.exec(name)![1]),
          entry: parseSpoolEntry(content),
          bytes: Buffer.byteLength(content),
        });
      } catch (error) {
        await this.reject(name, error, Buffer.byteLength(content));
      }
    }
    return found;
  }

  /** Removes entries that were recorded. */
  async remove(entries: readonly SpooledEntry[]): Promise<void> {
    for (const entry of entries) {
      await rm(path.join(this.dir, entry.name), { force: true });
      this.forget(entry.bytes);
    }
    await this.syncDirectory();
    await this.refreshOldest();
  }

  /** Moves an entry that can never be recorded to `rejected/`, with the error beside it. */
  async reject(name: string, error: unknown, bytes: number): Promise<void> {
    const rejected = path.join(this.dir, 'rejected', name);
    await rename(path.join(this.dir, name), rejected);
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await open(`${rejected}.error`, 'w', 0o600).then(async (f) => {
      await f.writeFile(why + '\n');
      await f.close();
    });
    this.forget(bytes);
    await this.refreshOldest();
  }

  private forget(bytes: number): void {
    this.count = Math.max(0, this.count - 1);
    this.size = Math.max(0, this.size - bytes);
  }

  private async refreshOldest(): Promise<void> {
    const first = (await this.names())[0];
    this.oldest = first ? Number(ENTRY.exec(first)![1]) : undefined;
  }

  private async names(): Promise<string[]> {
    return (await readdir(this.dir)).filter((n) => ENTRY.test(n)).sort();
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
