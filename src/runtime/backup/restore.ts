import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Config } from '../../config/config.ts';
import { clientConfig } from '../../db/client-config.ts';
import type { Database } from '../../db/database.ts';
import type { Consumer, EventLog, Subscription } from '../../log/event-log.ts';
import type { LogKind } from '../../log/log-kinds.ts';
import type { ReaderHold } from '../../log/reader-hold.ts';
import { LeadlineError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { consumerSpecs, type ConsumerSpec } from '../consumers.ts';
import { openEventLog } from '../open-log.ts';
import type { BackupHeader } from './backup-format.ts';
import { readBackup, type BackupSummary } from './read-backup.ts';
import { appendInWorker } from './append-backup.ts';
import { buildDeferredIndexes, deferReaderIndexes } from './deferred-indexes.ts';

/** Events per append (one transaction on PostgreSQL, one produce request on Kafka). */
export const RESTORE_BATCH = 1_000;

/**
 * How long (ms) a consumer replaying alongside the append lets events gather once it has
 * caught up: at the append's pace (20,000-30,000 events/s here), a full batch of 10,000.
 */
const RESTORE_GATHER_MS = 500;

/** How often (ms) a restore looks whether a waiting consumer may start (see `Replay`). */
const GATE_POLL_MS = 250;

/** A rebuild that handles nothing for this long (ms) is given up: 5 minutes. */
const REBUILD_STALL_MS = 5 * 60 * 1_000;

/** Where a restore has got to, for a progress display. */
export type RestoreProgress =
  | { phase: 'verify'; events: number }
  | { phase: 'append'; done: number; total: number }
  | { phase: 'rebuild'; consumers: string[]; handled: number; total: number };

/** Options of {@link restoreBackup}. */
export interface RestoreOptions {
  config: Config;
  /** The target database (migrated); the log `LOG_BACKEND` names is opened on it. */
  db: Database;
  logger: Logger;
  /** Path of a `leadline-….ndjson.gz` backup. */
  file: string;
  /** Events per append. Default {@link RESTORE_BATCH}. */
  batchSize?: number;
  onProgress?: (progress: RestoreProgress) => void;
  /** The file as {@link verifyBackup} found it, when the caller checked it first. */
  verified?: VerifiedBackup;
}

/** A backup file read through and found complete and valid. */
export interface VerifiedBackup {
  summary: BackupSummary;
  /** Per event type, the backup's last event of that type (see `Replay`). */
  lastOfType: ReadonlyMap<string, BackupEventRef>;
  /** How long the check took (ms). */
  ms: number;
}

/**
 * Reads the whole backup once and checks it (header, every line, count, SHA-256): the first
 * step of a restore, which writes nothing unless this passes. Needs no database.
 * @throws InvalidBackupError naming the line at the first problem; Error for an unreadable file.
 */
export async function verifyBackup(
  file: string,
  onProgress: (progress: RestoreProgress) => void = () => {},
): Promise<VerifiedBackup> {
  const started = Date.now();
  const lastOfType = new Map<string, BackupEventRef>();
  const summary = await readBackup(file, {
    batchSize: 10_000,
    onBatch: async (events, lastLine) => {
      // Line 1 is the header, so the event on line n is the (n - 1)th.
      const first = lastLine - events.length;
      events.forEach((event, i) =>
        lastOfType.set(event.type, { ordinal: first + i, id: event.id }),
      );
      onProgress({ phase: 'verify', events: lastLine - 1 });
    },
  });
  return { summary, lastOfType, ms: Date.now() - started };
}

/** What a restore did. Durations in ms. */
export interface RestoreResult {
  header: BackupHeader;
  /** Event lines in the backup. */
  events: number;
  /** Events written now. */
  appended: number;
  /** Events already in the log (a resumed restore, or copies in a Kafka backup). */
  duplicates: number;
  /** True when an interrupted restore of the same backup was finished. */
  resumed: boolean;
  /** One-click unsubscribe tokens of texts already sent, recorded again. */
  unsubscribeLinks: number;
  /** Consumers rebuilt, in the order they ran. */
  consumers: string[];
  /** The log restored into (`EventLog.about.kind`). */
  target: LogKind;
  verifyMs: number;
  appendMs: number;
  /** From the start of the append (the first consumers start with it) to the last caught up. */
  rebuildMs: number;
  totalMs: number;
}

/**
 * Restores a backup (`leadline restore`) into the log and database of `options`:
 *
 * 1. reads the whole file once and checks it (header, every line, count, SHA-256) before
 *    writing anything ({@link verifyBackup}, unless `options.verified` says it was done);
 * 2. refuses unless the target log is empty (`EventLog.storedEvents`), no other restore runs,
 *    and no worker is reading the log (`ConsumerPositions.holdReaders`, held until its own
 *    rebuild starts where the log can hold readers off), or the log holds an interrupted
 *    restore of this same backup (then it resumes);
 * 3. appends the events in file order in batches, in a worker thread of its own
 *    (`appendInWorker`), ids, times, trace context and data unchanged (`EventLog.append` is
 *    idempotent on id, so resuming writes no copies), and records the one-click unsubscribe
 *    tokens of texts already sent (`/u/<token>` in `OutboundSmsSent` bodies), so links
 *    customers hold keep working;
 * 4. rebuilds every consumer of `consumerSpecs` from its checkpoint (the start, on a fresh
 *    database) to the head, in replay mode (`ctx.replay` is forced true: the outbox refuses
 *    to enqueue and no timer is set, so history sends nothing), following the log as it is
 *    appended: those that read no other's tables from the start of the append; those that do
 *    (the processors look tenants up) once the tenants projection has handled the backup's
 *    last tenant event (found by the check), so they see the tenants as they will be at the
 *    end. The indexes only readers use are dropped meanwhile and built once at the end
 *    (`deferred-indexes.ts`). Then it stops them, checkpointed at the head, so a later
 *    `leadline serve` starts from there and re-sends nothing.
 *
 * Not in the log, so not restored: the outbound queue (texts not yet sent when the backup was
 * taken are not sent), durable timers, API keys, calls in progress.
 *
 * @throws InvalidBackupError (from `readBackup`) for a bad file, before anything is written.
 * @throws LeadlineError `RESTORE_TARGET_NOT_EMPTY` or `RESTORE_TARGET_BUSY` when refused.
 * @throws Error when a consumer makes no progress for 5 minutes, or the log fails.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { config, db, logger, file } = options;
  const batchSize = options.batchSize ?? RESTORE_BATCH;
  const progress = options.onProgress ?? (() => {});
  const started = Date.now();
  const verified = options.verified ?? (await verifyBackup(file, progress));
  const header = verified.summary.header;
  const total = verified.summary.events;

  const guard = await TargetGuard.take(db, logger);
  let log: EventLog | undefined;
  try {
    log = await openEventLog(config, db, logger, {
      pollIntervalMs: Math.min(config.pollIntervalMs, 250),
      batchSize: 1_000,
      // The consumers that follow the append read what gathered meanwhile, in large batches.
      replayGatherMs: RESTORE_GATHER_MS,
    });
    const replay = new Replay(log, db.pool, consumerSpecs, verified.lastOfType, (name) =>
      guard.releaseReaders([name]),
    );
    // Held apart: the first group lets go as the append starts, each of the rest as it starts.
    await guard.holdReaders(log, replay.first, ...replay.after.map((name) => [name]));
    const resumed = await guard.claimTarget(log, header, path.basename(file));

    // Indexes only readers use are built once at the end, not kept up to date row by row.
    const readerIndexes = consumerSpecs.flatMap((spec) => spec.readerIndexes ?? []);
    await deferReaderIndexes(db.pool, header.backupId, readerIndexes);
    const appendStarted = Date.now();
    let appended = 0;
    let duplicates = 0;
    let unsubscribeLinks = 0;
    let appendMs = 0;
    let appendedSoFar = 0;
    try {
      // The consumers that read no other's tables follow the log while it is appended: the
      // database and this process have work on both cores instead of one at a time.
      await replay.startFirst();
      // The processors as soon as the tenants projection holds every tenant the backup has.
      const gated = replay.startGated(() => appendedSoFar);
      gated.catch(() => {}); // awaited below
      // In a worker thread of its own: reading and checking the file and encoding the events
      // leave this thread to the consumers.
      const outcome = await appendInWorker(
        {
          config,
          databaseUrl: db.url,
          logLevel: logger.level,
          file,
          backupId: header.backupId,
          batchSize,
        },
        (done) => {
          appendedSoFar = done;
          progress({ phase: 'append', done, total });
        },
      );
      ({ appended, duplicates, unsubscribeLinks } = outcome);
      await db.pool.query('UPDATE restore_runs SET appended_at = now() WHERE backup_id = $1', [
        header.backupId,
      ]);
      appendMs = Date.now() - appendStarted;
      await replay.finish(total, progress);
      await gated;
    } finally {
      await replay.stop();
    }
    await buildDeferredIndexes(db.pool, header.backupId);
    const rebuildMs = Date.now() - appendStarted;
    await db.pool.query('UPDATE restore_runs SET finished_at = now() WHERE backup_id = $1', [
      header.backupId,
    ]);
    return {
      header,
      events: total,
      appended,
      duplicates,
      resumed,
      unsubscribeLinks,
      consumers: consumerSpecs.map((spec) => spec.consumer.name),
      target: log.about.kind,
      verifyMs: verified.ms,
      appendMs,
      rebuildMs,
      totalMs: Date.now() - started + (options.verified ? verified.ms : 0),
    };
  } finally {
    await log?.close();
    await guard.release();
  }
}

/** `consumer` with `ctx.replay` forced true: everything restored is history. */
function replaying(consumer: Consumer): Consumer {
  // Same prototype and own fields (name, and whatever else a consumer declares); only
  // `handle` and `handleBatch` differ.
  const batch = consumer.handleBatch;
  return Object.assign(
    Object.create(Object.getPrototypeOf(consumer) as object) as Consumer,
    consumer,
    {
      handle: (event, ctx) => consumer.handle.call(consumer, event, { ...ctx, replay: true }),
    } satisfies Pick<Consumer, 'handle'>,
    batch &&
      ({
        handleBatch: (events, ctx) => batch.call(consumer, events, { ...ctx, replay: true }),
      } satisfies Pick<Consumer, 'handleBatch'> | undefined),
  );
}

/** An event of the backup: its place among the event lines (1-based) and its id. */
export interface BackupEventRef {
  ordinal: number;
  id: string;
}

/**
 * Every consumer of `specs` replayed into its tables (`ctx.replay` forced true) until each has
 * handled the whole log. Those that read no other consumer's tables ({@link Replay.first})
 * start before the append and follow the log as it grows. The rest ({@link Replay.after}:
 * `ConsumerSpec.readsStateOf`, the processors look tenants up) start once every consumer
 * they read has handled the last event of the backup it acts on (its `eventTypes`; the last
 * event of all for a consumer of every type): from then on those tables hold what they will
 * hold at the end, as when they ran after the whole replay. With few tenants, that is early
 * in the append.
 */
class Replay {
  private readonly names: string[];
  private readonly running = new Map<string, Subscription>();
  private readonly caughtUp = new Set<string>();
  /** Consumers that read no other's tables: started with the append. */
  readonly first: string[];
  /** Consumers that read others' tables: started once those hold their final state. */
  readonly after: string[];
  /** Set once the gates are no longer watched ({@link finish} or {@link stop} began). */
  private gatesClosed = false;

  /**
   * @param lastOfType per event type, the last event of that type in the backup (from
   *   {@link verifyBackup})
   * @param beforeStart called with a consumer's name before it starts (the restore lets go of
   *   its readers there)
   */
  constructor(
    private readonly log: EventLog,
    private readonly pool: pg.Pool,
    private readonly specs: readonly ConsumerSpec[],
    private readonly lastOfType: ReadonlyMap<string, BackupEventRef>,
    private readonly beforeStart: (name: string) => Promise<void>,
  ) {
    this.names = specs.map((spec) => spec.consumer.name);
    this.first = specs.filter((spec) => this.readsOf(spec).length === 0).map(nameOf);
    this.after = specs.filter((spec) => this.readsOf(spec).length > 0).map(nameOf);
  }

  /** Starts {@link first}: they follow the log while it is appended. */
  async startFirst(): Promise<void> {
    for (const spec of this.specs) {
      if (this.first.includes(nameOf(spec))) await this.start(spec);
    }
  }

  /**
   * While the append runs: starts each of {@link after} once the events it depends on are
   * appended (`appended()`, events so far, has passed them) and every consumer it reads has
   * handled them (`EventLog.hasReached`), looking every {@link GATE_POLL_MS}. Returns when all
   * are started or {@link finish} or {@link stop} began. A failed look is tried again.
   */
  async startGated(appended: () => number): Promise<void> {
    const waiting = this.specs.filter((spec) => this.after.includes(nameOf(spec)));
    while (!this.gatesClosed && waiting.some((spec) => !this.running.has(nameOf(spec)))) {
      for (const spec of waiting) {
        if (this.gatesClosed || this.running.has(nameOf(spec))) continue;
        const ready = await this.gateOpen(spec, appended()).catch(() => false);
        if (ready && !this.gatesClosed) await this.start(spec);
      }
      await sleep(GATE_POLL_MS);
    }
  }

  /**
   * Once the log is complete: waits for every started consumer to catch up, starting each of
   * {@link after} not started yet as soon as those it reads have, until all have handled the
   * whole log.
   * @param events the log's length, for progress
   * @throws Error when nothing moved for {@link REBUILD_STALL_MS}, or consumers wait on each
   *   other.
   */
  async finish(events: number, progress: (p: RestoreProgress) => void): Promise<void> {
    this.gatesClosed = true;
    const { names, running, caughtUp } = this;
    await this.startReady();
    let lastHandled = -1;
    let lastMove = Date.now();
    for (;;) {
      const started = [...running];
      const done = await Promise.all(
        started.map(([, subscription]) =>
          subscription.whenCaughtUp(1_000).then(
            () => true,
            () => false,
          ),
        ),
      );
      started.forEach(([name], i) => done[i] && caughtUp.add(name));
      await this.startReady();
      const handled = await handledSoFar(this.log, this.pool, names);
      const total = events * names.length;
      progress({ phase: 'rebuild', consumers: names, handled: Math.min(handled, total), total });
      if (caughtUp.size === names.length) return;
      if (caughtUp.size === running.size) {
        const waiting = names.filter((name) => !running.has(name));
        throw new Error(`consumers wait on each other's state: ${waiting.join(', ')}`);
      }
      if (handled !== lastHandled) {
        lastHandled = handled;
        lastMove = Date.now();
      } else if (Date.now() - lastMove > REBUILD_STALL_MS) {
        throw new Error(
          `rebuilding ${names.join(', ')} made no progress for ${REBUILD_STALL_MS / 60_000} minutes (see the service log at LOG_LEVEL=info); run the restore again to resume`,
        );
      }
    }
  }

  /** Stops every consumer started, and the gates' watch. */
  async stop(): Promise<void> {
    this.gatesClosed = true;
    const running = [...this.running.values()];
    this.running.clear();
    await Promise.all(running.map((subscription) => subscription.stop()));
  }

  /** The consumers of this replay that `spec` reads while handling. */
  private readsOf(spec: ConsumerSpec): ConsumerSpec[] {
    return this.specs.filter((other) => (spec.readsStateOf ?? []).includes(nameOf(other)));
  }

  /**
   * Whether every consumer `spec` reads has handled the last event of the backup it acts on,
   * with `appended` events of the backup in the log so far.
   */
  private async gateOpen(spec: ConsumerSpec, appended: number): Promise<boolean> {
    for (const read of this.readsOf(spec)) {
      const last = this.lastActedOn(read);
      if (!last) continue; // nothing in the backup for it: its tables stay as they are
      // Not appended yet: `hasReached` would answer about the events before it.
      if (appended < last.ordinal) return false;
      if (!(await this.log.hasReached(nameOf(read), last.id))) return false;
    }
    return true;
  }

  /** The last event of the backup `spec`'s consumer acts on (its types, else any). */
  private lastActedOn(spec: ConsumerSpec): BackupEventRef | undefined {
    const types = spec.consumer.eventTypes;
    let last: BackupEventRef | undefined;
    for (const [type, ref] of this.lastOfType) {
      if (types && !types.has(type)) continue;
      if (!last || ref.ordinal > last.ordinal) last = ref;
    }
    return last;
  }

  /** Starts each consumer not running yet whose every consumer it reads has caught up. */
  private async startReady(): Promise<void> {
    for (const spec of this.specs) {
      const ready = this.readsOf(spec).every((read) => this.caughtUp.has(nameOf(read)));
      if (ready) await this.start(spec);
    }
  }

  private async start(spec: ConsumerSpec): Promise<void> {
    const name = nameOf(spec);
    if (this.running.has(name)) return;
    await this.beforeStart(name);
    if (this.running.has(name)) return;
    // `replay: true` makes the adapter hand every event over as history; the wrapper makes
    // sure of it for the handler whatever the adapter does, since a slip would text every
    // customer.
    this.running.set(name, this.log.subscribe(replaying(spec.consumer), { replay: true }));
  }
}

const nameOf = (spec: ConsumerSpec): string => spec.consumer.name;

/** Events handled so far by `names`, summed (their positions' counters). */
async function handledSoFar(log: EventLog, pool: pg.Pool, names: string[]): Promise<number> {
  let handled = 0;
  for (const name of names) handled += await log.positions.handled(pool, name);
  return handled;
}

/**
 * What makes a restore safe to start, held for its duration: one dedicated PostgreSQL session
 * holding the `leadline-restore` advisory lock, and the log's hold on every consumer's
 * readers (`ConsumerPositions.holdReaders`: on PostgreSQL no worker can start reading
 * restored events outside replay mode) until {@link TargetGuard.releaseReaders}.
 */
class TargetGuard {
  /** Holds on readers, each with the consumers it covers. */
  private readers: Array<{ names: readonly string[]; hold: ReaderHold & { held: true } }> = [];

  private constructor(private readonly client: pg.Client) {}

  /**
   * Takes the restore lock.
   * @throws LeadlineError `RESTORE_TARGET_BUSY` when another restore is running.
   */
  static async take(db: Database, logger: Logger): Promise<TargetGuard> {
    const client = new pg.Client(clientConfig(db.url));
    client.on('error', (error) => logger.warn({ err: error }, 'restore guard connection error'));
    await client.connect();
    const guard = new TargetGuard(client);
    try {
      if (!(await guard.tryLock('leadline-restore'))) {
        throw busy('another `leadline restore` is running against this database');
      }
      return guard;
    } catch (error) {
      await guard.release();
      throw error;
    }
  }

  private async tryLock(key: string): Promise<boolean> {
    const { rows } = await this.client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
      [key],
    );
    return rows[0]?.ok === true;
  }

  /**
   * Keeps every consumer's readers of `log` away (see `ConsumerPositions.holdReaders`), in
   * groups that can be let go one at a time ({@link releaseReaders}).
   * @throws LeadlineError `RESTORE_TARGET_BUSY` when a worker is reading.
   */
  async holdReaders(log: EventLog, ...groups: ReadonlyArray<readonly string[]>): Promise<void> {
    for (const names of groups.filter((group) => group.length > 0)) {
      const hold = await log.positions.holdReaders(names);
      if (!hold.held) throw busy(`${hold.busy}; stop every \`leadline serve\` before restoring`);
      this.readers.push({ names, hold });
    }
  }

  /**
   * Claims the target for `header`'s backup: records the restore when the log is empty, or
   * recognises an interrupted restore of the same backup.
   * @returns true when resuming.
   * @throws LeadlineError `RESTORE_TARGET_NOT_EMPTY` otherwise.
   */
  async claimTarget(log: EventLog, header: BackupHeader, fileName: string): Promise<boolean> {
    const present = await log.storedEvents();
    const { rows } = await this.client.query<{
      backup_id: string;
      file_name: string;
      finished_at: Date | null;
    }>('SELECT backup_id, file_name, finished_at FROM restore_runs ORDER BY started_at DESC');
    const same = rows.find((r) => r.backup_id === header.backupId);
    if (present === 0) {
      await this.client.query(
        `INSERT INTO restore_runs (backup_id, file_name, source_log, events) VALUES ($1, $2, $3, $4)
         ON CONFLICT (backup_id) DO UPDATE SET file_name = EXCLUDED.file_name,
           started_at = now(), appended_at = NULL, finished_at = NULL`,
        [header.backupId, fileName, header.logBackend, header.events],
      );
      return false;
    }
    if (same && !same.finished_at) return true;
    const unfinished = rows.find((r) => !r.finished_at);
    const hint = same
      ? ` (this backup was restored here already, finished ${same.finished_at!.toISOString()})`
      : unfinished
        ? ` (an interrupted restore of ${unfinished.file_name} is in it: run \`leadline restore\` with that file to finish it)`
        : '';
    throw new LeadlineError(
      'RESTORE_TARGET_NOT_EMPTY',
      `restore needs an empty log, but ${log.about.holds} already holds ${present} events${hint}; point ${log.about.settings} at a new, empty database`,
      409,
    );
  }

  /**
   * Lets our own subscriptions take the readers of `names` (every held consumer by default):
   * the group holding them, held as one, is let go whole.
   */
  async releaseReaders(names?: readonly string[]): Promise<void> {
    const going = this.readers.filter(
      (group) => !names || group.names.some((name) => names.includes(name)),
    );
    this.readers = this.readers.filter((group) => !going.includes(group));
    for (const { hold } of going) await hold.release();
  }

  /** Releases every lock (by closing the session) and the readers' hold. */
  async release(): Promise<void> {
    await this.releaseReaders();
    await this.client.end().catch(() => {});
  }
}

function busy(message: string): LeadlineError {
  return new LeadlineError('RESTORE_TARGET_BUSY', message, 409);
}
