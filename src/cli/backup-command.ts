import { Command } from 'commander';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import type { EventLog } from '../log/event-log.ts';
import type { LogSnapshot } from '../log/log-snapshot.ts';
import { restoreBackup, verifyBackup, type RestoreProgress } from '../runtime/backup/restore.ts';
import { DEFAULT_KEEP, rotateBackups } from '../runtime/backup/rotation.ts';
import { writeBackup } from '../runtime/backup/write-backup.ts';
import { openEventLog } from '../runtime/open-log.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { runAction } from './run-action.ts';
import { wholeNumber } from './whole-number.ts';

const cliLogger = (): Logger =>
  createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr as never);

/** `1,234,567`. */
const count = (n: number) => n.toLocaleString('en-US');
/** `12.3 s`. */
const seconds = (ms: number) => `${(ms / 1_000).toFixed(1)} s`;
/** Events per second, whole. */
const rate = (events: number, ms: number) =>
  count(Math.round(events / Math.max(ms / 1_000, 0.001)));

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Progress on stderr: one line rewritten in place on a terminal (at most every 200 ms),
 * otherwise a line at most every 5 s, so logs of scheduled runs stay short.
 */
function progressPrinter(): { show(text: string): void; done(): void } {
  const tty = Boolean(process.stderr.isTTY);
  const every = tty ? 200 : 5_000;
  let last = 0;
  let shown = false;
  return {
    show(text) {
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      shown = true;
      process.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
    },
    done() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
    },
  };
}

/**
 * A snapshot ({@link EventLog.snapshot}) of the log `LOG_BACKEND` names; its `close` also
 * closes the log and the database it opened.
 * @throws Error when the database, the log or the snapshot cannot be opened.
 */
async function openSnapshot(config: Config, logger: Logger): Promise<LogSnapshot> {
  const db = await openDatabase(config, logger);
  let log: EventLog | undefined;
  try {
    log = await openEventLog(config, db, logger);
    const snapshot = await log.snapshot();
    const opened = log;
    return {
      ...snapshot,
      close: async (error) => {
        await snapshot.close(error);
        await opened.close();
        await db.close();
      },
    };
  } catch (error) {
    await log?.close();
    await db.close();
    throw error;
  }
}

/** `leadline backup`. */
export function backupCommand(): Command {
  return new Command('backup')
    .description(
      'write a consistent, compressed export of the log (gzip NDJSON) and keep the newest --keep',
    )
    .option('--dir <dir>', 'where backups go (default: $LEADLINE_DATA_DIR/backups)')
    .option(
      '--keep <n>',
      'backups to keep; older ones are deleted',
      wholeNumber(1, 100_000),
      DEFAULT_KEEP,
    )
    .action(
      runAction(async (config, opts: { dir?: string; keep: number }) => {
        const dir = path.resolve(opts.dir ?? path.join(config.dataDir, 'backups'));
        const logger = cliLogger();
        const progress = progressPrinter();
        const snapshot = await openSnapshot(config, logger);
        let written;
        try {
          written = await writeBackup(snapshot, dir, {
            onProgress: (n) =>
              progress.show(`backup: ${count(n)} of ${count(snapshot.events)} events`),
          });
          await snapshot.close();
        } catch (error) {
          await snapshot.close(error as Error);
          throw error;
        } finally {
          progress.done();
        }
        const rotation = await rotateBackups(dir, opts.keep);
        console.log(`backup: ${written.file}`);
        console.log(
          `events: ${count(written.events)} (${written.header.logBackend} log, head ${written.header.head ?? 'none'}, snapshot at ${written.header.createdAt})`,
        );
        console.log(`size: ${bytes(written.bytes)} (${written.bytes} bytes, gzip)`);
        console.log(
          `took: ${seconds(written.durationMs)} (${rate(written.events, written.durationMs)} events/s)`,
        );
        const removed = [...rotation.deleted, ...rotation.stalePartials];
        console.log(
          `rotation: keeping the newest ${opts.keep}; ${removed.length === 0 ? 'nothing deleted' : `deleted ${removed.join(', ')}`}`,
        );
      }),
    );
}

function describeProgress(p: RestoreProgress): string {
  switch (p.phase) {
    case 'verify':
      return `restore: checking the file: ${count(p.events)} events`;
    case 'append':
      return `restore: appending: ${count(p.done)} of ${count(p.total)} events`;
    case 'rebuild':
      return `restore: rebuilding ${p.consumers.join(', ')}: ${Math.floor((100 * p.handled) / Math.max(p.total, 1))}%`;
  }
}

/** `leadline restore`. */
export function restoreCommand(): Command {
  return new Command('restore')
    .description(
      'restore a backup into an empty database: append its events and rebuild every projection and processor state as they go in (in replay mode: nothing is sent)',
    )
    .argument('<file>', 'a leadline-….ndjson.gz backup')
    .action(
      runAction(async (config, file: string) => {
        const logger = cliLogger();
        const progress = progressPrinter();
        const onProgress = (p: RestoreProgress) => progress.show(describeProgress(p));
        // The file first: a bad one is refused without touching any database.
        const verified = await verifyBackup(path.resolve(file), onProgress);
        const db = await openDatabase(config, logger);
        try {
          const result = await restoreBackup({
            config,
            db,
            logger,
            file: path.resolve(file),
            verified,
            onProgress,
          });
          progress.done();
          const h = result.header;
          console.log(
            `restored: ${path.resolve(file)} (backup ${h.backupId} of a ${h.logBackend} log, taken ${h.createdAt})`,
          );
          console.log(
            `events: ${count(result.appended)} appended${result.duplicates > 0 ? `, ${count(result.duplicates)} already present` : ''}${result.resumed ? ' (resumed an interrupted restore)' : ''} to the ${result.target} log`,
          );
          console.log(
            `took: check ${seconds(result.verifyMs)}, append ${seconds(result.appendMs)} (${rate(result.events, result.appendMs)} events/s), rebuild ${seconds(result.rebuildMs)} begun with the append (${rate(result.events, result.rebuildMs)} events/s), total ${seconds(result.totalMs)}`,
          );
          console.log(`rebuilt in replay mode (nothing sent): ${result.consumers.join(', ')}`);
          if (result.unsubscribeLinks > 0) {
            console.log(`unsubscribe links restored: ${count(result.unsubscribeLinks)}`);
          }
          console.log(
            'not in the log, so not restored: texts queued but unsent, timers, API keys (create them again with `leadline keys create`)',
          );
        } finally {
          progress.done();
          await db.close();
        }
      }),
    );
}
