import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LeadlineEvent } from '../../events/catalogue.ts';
import { LeadlineError } from '../../shared/errors.ts';
import { maskPhonesIn } from '../../shared/phone.ts';
import {
  BACKUP_FORMAT_VERSION,
  backupHeaderSchema,
  backupTrailerSchema,
  HEADER_KIND,
  parseEventLine,
  TRAILER_KIND,
  type BackupHeader,
  type BackupTrailer,
} from './backup-format.ts';

/** Longest line accepted (bytes): far above any event, small enough to fail before memory does. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * A backup file that cannot be restored: not gzip, truncated, altered, or a line that is not
 * a valid header, event or end record. The message names the file and the line (1-based,
 * the header being line 1) and never quotes the line's content (it may hold phone numbers
 * and messages).
 */
export class InvalidBackupError extends LeadlineError {
  constructor(
    readonly file: string,
    /** 1-based line number of the problem. */
    readonly line: number,
    reason: string,
  ) {
    super('INVALID_BACKUP', `${file} line ${line}: ${maskPhonesIn(reason)}`, 400);
  }
}

/** What reading a whole backup found. */
export interface BackupSummary {
  header: BackupHeader;
  trailer: BackupTrailer;
  /** Event lines read. */
  events: number;
  /** Compressed size (bytes). */
  bytes: number;
}

/** Options of {@link readBackup}. */
export interface ReadBackupOptions {
  /** Events per {@link ReadBackupOptions.onBatch} call. Default 1,000. */
  batchSize?: number;
  /** Called once the header is read and valid; throwing stops the read. */
  onHeader?: (header: BackupHeader) => void | Promise<void>;
  /**
   * Called with each batch of valid events, in file order, and the line number of the last
   * one; awaited before more of the file is read (backpressure). Throwing stops the read.
   */
  onBatch?: (events: LeadlineEvent[], lastLine: number) => Promise<void>;
}

/**
 * Reads a backup written by `writeBackup` from start to end, streaming (bounded memory):
 * gunzips it, checks the header (kind, a format version this code reads), every event line
 * (JSON, envelope, data against the event catalogue), the end record (count and SHA-256 of
 * the event lines) and that nothing follows it. Valid events are passed on in batches of
 * the original envelopes (without their old `position`).
 *
 * Note that batches are handed on as they are read: a caller that must not act on a file
 * that later turns out to be bad reads it once without `onBatch` first.
 *
 * @throws InvalidBackupError naming the line at the first problem; Error for a missing or
 *   unreadable file.
 */
export async function readBackup(
  file: string,
  options: ReadBackupOptions = {},
): Promise<BackupSummary> {
  const { size } = await stat(file);
  const batchSize = options.batchSize ?? 1_000;
  const hash = createHash('sha256');
  let lineNo = 0;
  let header: BackupHeader | undefined;
  let trailer: BackupTrailer | undefined;
  let events = 0;
  let batch: LeadlineEvent[] = [];
  const fail = (line: number, reason: string) => new InvalidBackupError(file, line, reason);

  const handleLine = async (bytes: Buffer) => {
    lineNo++;
    if (trailer) throw fail(lineNo, 'unexpected data after the end record');
    if (bytes.length === 0) throw fail(lineNo, 'empty line');
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      // JSON.parse quotes the text it failed on; never print that (phone numbers, messages).
      throw fail(lineNo, lineNo === 1 ? 'not a Leadline backup (no header)' : 'not valid JSON');
    }
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (!header) {
      header = parseHeader(value, (reason) => fail(lineNo, reason));
      await options.onHeader?.(header);
      return;
    }
    if (kind === TRAILER_KIND) {
      const parsed = backupTrailerSchema.safeParse(value);
      if (!parsed.success) throw fail(lineNo, 'malformed end record');
      trailer = parsed.data;
      return;
    }
    hash.update(bytes);
    hash.update('\n');
    try {
      batch.push(parseEventLine(value));
    } catch (error) {
      throw fail(lineNo, (error as Error).message);
    }
    events++;
    if (batch.length >= batchSize) {
      const full = batch;
      batch = [];
      await options.onBatch?.(full, lineNo);
    }
  };

  // pipeline forwards a read error to the gunzip stream, which the loop below then throws.
  const input = pipeline(createReadStream(file), createGunzip(), () => {});
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let newline = data.indexOf(0x0a);
      while (newline !== -1) {
        await handleLine(data.subarray(0, newline));
        data = data.subarray(newline + 1);
        newline = data.indexOf(0x0a);
      }
      if (data.length > MAX_LINE_BYTES) throw fail(lineNo + 1, 'line too long');
      carry = Buffer.from(data);
    }
  } catch (error) {
    if (error instanceof LeadlineError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || code === 'Z_STREAM_ERROR') {
      throw fail(
        lineNo + 1,
        lineNo === 0 && code === 'Z_DATA_ERROR'
          ? 'not a gzip file'
          : `the gzip stream is cut short or corrupt (${(error as Error).message}): the file is truncated or damaged`,
      );
    }
    throw error;
  } finally {
    input.destroy();
  }
  if (carry.length > 0) {
    throw fail(lineNo + 1, 'the last line is cut short (no newline): the file is truncated');
  }
  if (!header) throw fail(1, 'empty file: not a Leadline backup');
  if (!trailer) {
    throw fail(
      lineNo,
      `the file ends after ${events} events without its end record: it is truncated`,
    );
  }
  if (trailer.events !== events || header.events !== events) {
    throw fail(
      lineNo,
      `${events} event lines, but the header announces ${header.events} and the end record ${trailer.events}`,
    );
  }
  if (hash.digest('hex') !== trailer.sha256) {
    throw fail(
      lineNo,
      'the event lines do not match the SHA-256 of the end record: the file was altered',
    );
  }
  if (batch.length > 0) await options.onBatch?.(batch, lineNo - 1);
  return { header, trailer, events, bytes: size };
}

function parseHeader(value: unknown, fail: (reason: string) => Error): BackupHeader {
  const raw = value as { kind?: unknown; formatVersion?: unknown } | null;
  if (raw?.kind !== HEADER_KIND) throw fail('not a Leadline backup (no header)');
  if (typeof raw.formatVersion === 'number' && raw.formatVersion > BACKUP_FORMAT_VERSION) {
    throw fail(
      `written in backup format ${raw.formatVersion}; this Leadline reads format ${BACKUP_FORMAT_VERSION}: upgrade it`,
    );
  }
  const parsed = backupHeaderSchema.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))];
    throw fail(`malformed header (bad or missing ${fields.join(', ')})`);
  }
  return parsed.data;
}
