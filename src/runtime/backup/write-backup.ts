import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CURRENT_SCHEMA_VERSION } from '../../events/catalogue.ts';
import {
  BACKUP_FORMAT_VERSION,
  backupFileName,
  eventLine,
  HEADER_KIND,
  TRAILER_KIND,
  type BackupHeader,
  type BackupTrailer,
} from './backup-format.ts';
import type { LogSnapshot } from '../../log/log-snapshot.ts';

/** Uncompressed bytes gathered before handing a chunk to gzip. */
const CHUNK_BYTES = 64 * 1024;

/** What {@link writeBackup} wrote. */
export interface WrittenBackup {
  /** Absolute path of the complete backup. */
  file: string;
  header: BackupHeader;
  /** Event lines written. */
  events: number;
  /** Size of the compressed file (bytes). */
  bytes: number;
  /** Wall time from the first row read to the file being durable (ms). */
  durationMs: number;
}

/** Options of {@link writeBackup}. */
export interface WriteBackupOptions {
  /** Called every `progressEvery` events with the number written so far. */
  onProgress?: (written: number) => void;
  /** Default 10,000. */
  progressEvery?: number;
}

/**
 * Writes `snapshot` to `dir` as `leadline-<UTC timestamp>.ndjson.gz` in the backup format
 * (`backup-format.ts`: header, one envelope per line in log order, trailer with count and
 * SHA-256), streamed through gzip so memory stays bounded. The file is written under a
 * hidden `.partial` name (mode 0600: it holds phone numbers and messages), fsynced, then
 * renamed and the directory fsynced, so a backup that crashed never looks complete.
 * `dir` is created if missing. Does not close `snapshot`.
 *
 * @throws Error when the target name already exists, when the snapshot yields a different
 *   number of events than it announced, or on any read or file system error; the partial
 *   file is removed first.
 */
export async function writeBackup(
  snapshot: LogSnapshot,
  dir: string,
  options: WriteBackupOptions = {},
): Promise<WrittenBackup> {
  const started = Date.now();
  await mkdir(dir, { recursive: true });
  const name = backupFileName(snapshot.takenAt);
  const file = path.resolve(dir, name);
  if (await exists(file)) throw new Error(`${file} already exists`);
  const partial = path.resolve(dir, `.${name}.${process.pid}.partial`);
  const header: BackupHeader = {
    kind: HEADER_KIND,
    formatVersion: BACKUP_FORMAT_VERSION,
    backupId: randomUUID(),
    createdAt: snapshot.takenAt.toISOString(),
    logBackend: snapshot.kind,
    events: snapshot.events,
    head: snapshot.head,
    highWatermarks: snapshot.highWatermarks,
    schemaVersion: CURRENT_SCHEMA_VERSION,
  };
  const every = options.progressEvery ?? 10_000;
  let written = 0;

  async function* lines(): AsyncIterable<string> {
    yield `${JSON.stringify(header)}\n`;
    const hash = createHash('sha256');
    let chunk: string[] = [];
    let size = 0;
    for await (const event of snapshot.read()) {
      const line = `${eventLine(event)}\n`;
      hash.update(line);
      chunk.push(line);
      size += line.length;
      written++;
      if (size >= CHUNK_BYTES) {
        yield chunk.join('');
        chunk = [];
        size = 0;
      }
      if (written % every === 0) options.onProgress?.(written);
    }
    if (chunk.length > 0) yield chunk.join('');
    if (written !== snapshot.events) {
      throw new Error(
        `the snapshot announced ${snapshot.events} events but yielded ${written}; backup abandoned`,
      );
    }
    const trailer: BackupTrailer = {
      kind: TRAILER_KIND,
      events: written,
      sha256: hash.digest('hex'),
    };
    yield `${JSON.stringify(trailer)}\n`;
  }

  try {
    await pipeline(
      Readable.from(lines()),
      createGzip({ level: 6 }),
      // `flush`: fsync before close, so the rename below never publishes unwritten data.
      createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true }),
    );
    await rename(partial, file);
    await syncDirectory(dir);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const { size } = await stat(file);
  return { file, header, events: written, bytes: size, durationMs: Date.now() - started };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Makes a rename in `dir` durable (POSIX; a no-op where directories cannot be opened). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => {});
  } finally {
    await handle.close();
  }
}
