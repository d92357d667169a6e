/**
 * The worker thread of a restore's append (started by `appendInWorker`, never imported
 * otherwise): opens its own pool on the target database and its own log adapter, runs
 * `appendBackup`, and reports progress and the outcome (or the failure) to its parent as
 * {@link AppendWorkerMessage}s, then closes what it opened.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { clientConfig } from '../../db/client-config.ts';
import type { Database } from '../../db/database.ts';
import type { EventLog } from '../../log/event-log.ts';
import { LeadlineError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { openEventLog } from '../open-log.ts';
import { appendBackup, type AppendWorkerData, type AppendWorkerMessage } from './append-backup.ts';

const data = workerData as AppendWorkerData;
const post = (message: AppendWorkerMessage) => parentPort!.postMessage(message);
const logger = createLogger(data.logLevel, process.stderr as never);
// Connections of its own: the parent's pool cannot cross threads.
const pool = new pg.Pool({ ...clientConfig(data.databaseUrl), max: 4 });
pool.on('error', (error) => logger.warn({ err: error }, 'restore append connection error'));
const db: Database = { url: data.databaseUrl, pool, kind: 'external', close: () => pool.end() };
let log: EventLog | undefined;
try {
  log = await openEventLog(data.config, db, logger);
  const outcome = await appendBackup(log, pool, {
    file: data.file,
    backupId: data.backupId,
    batchSize: data.batchSize,
    onProgress: (done) => post({ kind: 'progress', done }),
  });
  post({ kind: 'done', outcome });
} catch (error) {
  post(
    error instanceof LeadlineError
      ? { kind: 'failed', message: error.message, code: error.code, status: error.statusCode }
      : { kind: 'failed', message: (error as Error).message ?? String(error) },
  );
} finally {
  await log?.close().catch(() => {});
  await pool.end().catch(() => {});
}
