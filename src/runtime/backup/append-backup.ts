import type pg from 'pg';
import type { Config } from '../../config/config.ts';
import { recordUnsubscribeLinks } from '../../consent/index.ts';
import type { EventLog } from '../../log/event-log.ts';
import { LeadlineError } from '../../shared/errors.ts';
import { siblingModule, startModuleWorker } from '../../shared/module-worker.ts';
import { readBackup } from './read-backup.ts';

/** What appending a backup's events did. */
export interface AppendOutcome {
  /** Events written now. */
  appended: number;
  /** Events already in the log (a resumed restore, or copies in a Kafka backup). */
  duplicates: number;
  /** One-click unsubscribe tokens of texts already sent, recorded again. */
  unsubscribeLinks: number;
}

/** Where and how to append a backup (see {@link appendBackup}). */
export interface AppendBackupOptions {
  /** Path of the backup, checked already (`verifyBackup`). */
  file: string;
  /** The backup's id, as its header was checked: the file must still carry it. */
  backupId: string;
  /** Events per append (one transaction on PostgreSQL, one produce request on Kafka). */
  batchSize: number;
  /** Called after each batch with the events appended or found present so far. */
  onProgress: (done: number) => void;
}

/**
 * Appends the events of a backup to `log` in file order, `batchSize` at a time, ids, times,
 * trace context and data unchanged (`EventLog.append` is idempotent on id, so a resumed
 * restore writes no copies), and records the one-click unsubscribe tokens of texts already
 * sent (`/u/<token>` in `OutboundSmsSent` bodies) in `pool`, so links customers hold keep
 * working. The file is read and checked again as it goes (gunzip, JSON, schema, SHA-256):
 * one append is in flight while the next batch is read.
 * @throws InvalidBackupError for a bad line; Error when the file's header names another
 *   backup (it changed since it was checked); whatever the log or the database throws.
 */
export async function appendBackup(
  log: EventLog,
  pool: pg.Pool,
  options: AppendBackupOptions,
): Promise<AppendOutcome> {
  const { file, backupId, batchSize, onProgress } = options;
  const outcome: AppendOutcome = { appended: 0, duplicates: 0, unsubscribeLinks: 0 };
  let appending: Promise<void> = Promise.resolve();
  const reading = readBackup(file, {
    batchSize,
    onHeader: (again) => {
      if (again.backupId !== backupId) throw new Error(`${file} changed during the restore`);
    },
    onBatch: async (events) => {
      await appending;
      appending = (async () => {
        const results = await log.append(events);
        const dupes = results.filter((r) => r.duplicate).length;
        outcome.duplicates += dupes;
        outcome.appended += results.length - dupes;
        outcome.unsubscribeLinks += await recordUnsubscribeLinks(pool, events);
        onProgress(outcome.appended + outcome.duplicates);
      })();
      appending.catch(() => {}); // awaited (and thrown) before the next append or below
    },
  });
  // A read that fails still lets the append in flight finish before the error goes up.
  await reading.finally(() => appending.catch(() => {}));
  await appending;
  return outcome;
}

/** What {@link appendInWorker} hands its worker (`append-worker.ts`). */
export interface AppendWorkerData {
  config: Config;
  /** The target database's connection string. */
  databaseUrl: string;
  /** pino level of the worker's log lines (stderr). */
  logLevel: string;
  file: string;
  backupId: string;
  batchSize: number;
}

/** A message of the worker to the thread that started it. */
export type AppendWorkerMessage =
  | { kind: 'progress'; done: number }
  | { kind: 'done'; outcome: AppendOutcome }
  | { kind: 'failed'; message: string; code?: string; status?: number };

/**
 * {@link appendBackup} in a worker thread of its own, with its own connections and log
 * adapter: reading, checking and encoding the events leave this thread's time to the
 * consumers replaying them meanwhile.
 * @throws LeadlineError (with the worker's code) or Error with the worker's message when the
 *   append failed; Error when the worker died.
 */
export function appendInWorker(
  data: AppendWorkerData,
  onProgress: (done: number) => void,
): Promise<AppendOutcome> {
  const worker = startModuleWorker(siblingModule(import.meta.url, 'append-worker'), data);
  return new Promise<AppendOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    worker.on('message', (message: AppendWorkerMessage) => {
      if (message.kind === 'progress') onProgress(message.done);
      else if (message.kind === 'done') settle(() => resolve(message.outcome));
      else {
        const error = message.code
          ? new LeadlineError(message.code, message.message, message.status ?? 500)
          : new Error(message.message);
        settle(() => reject(error));
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`the restore's append worker stopped (exit code ${code})`))),
    );
  });
}
