import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientConfig } from '../../db/client-config.ts';
import { withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Consumer, SubscribeOptions, Subscription } from '../event-log.ts';
import { deliverEvents } from '../deliver-events.ts';
import {
  compareCheckpoints,
  readCheckpoint,
  resetCheckpoint,
  storeCheckpointStatement,
  type PgCheckpoint,
} from './checkpoint.ts';
import { readBatch, type Batch } from './read-batch.ts';
import { checkpointOfValues, typeOfValues, valuesToEvent } from './rows.ts';
import type { WakeFilter, Wakeups } from '../../db/wakeups.ts';
import { noticeConcerns } from './append-notice.ts';
import { isHalt, retryDelayMs, searchPathStatement } from '../retry-delay.ts';
import { readerLockKey } from './reader-lock.ts';

/** Tuning of a PostgreSQL subscription. */
export interface PgSubscriptionSettings {
  url: string;
  epoch: () => number;
  wakeups: Wakeups;
  log: Logger;
  /** Fallback poll when no notification arrives (ms). */
  pollIntervalMs: number;
  /** Events per transaction while live (default 100). */
  batchSize?: number;
  /**
   * Events per transaction at most while catching up (default 2,000; 10,000 for a subscription
   * in replay mode: a rebuild or a restore): each full batch doubles the next one up to this,
   * and a batch that is not full goes back to `batchSize`. A backlog is read in few round
   * trips; live traffic keeps short transactions. A batch's transaction, once it writes, hides
   * events appended after it from every reader of the log until it commits (gap-safe reads),
   * so the largest batch bounds how long a rebuild running beside live traffic can delay it.
   */
  maxBatchSize?: number;
  /** How often a standby retries to become the active reader (ms). */
  standbyRetryMs?: number;
  /**
   * A consumer that declares `eventTypes` is woken at once only by appends of those types;
   * after appends of other types only, it reads this long (ms) later at the latest, to pass
   * over them (default 200, never more than `pollIntervalMs`). Its checkpoint, and so its
   * consumer lag, then trails the head by at most about this long while it has nothing to
   * do, where reading on every append cost a statement (and a commit) per append each.
   */
  passIntervalMs?: number;
  /**
   * In replay mode, how long (ms) a reader that has caught up lets events gather before it
   * reads again, instead of waiting for the next append's wake-up; it reads up to
   * {@link maxBatchSize} events each time (also after an older open transaction held some
   * back: they come all at once when it ends, not in batches growing again from
   * {@link batchSize}); after a failed batch or a halt at a dead letter it reads `batchSize`
   * once first, so a failure a large batch caused does not repeat at every retry. For a
   * replay that follows a log still being appended (a restore): each changed row is written
   * once per large batch rather than once per append. Default none (wake-ups, as live).
   */
  replayGatherMs?: number;
}

const HORIZON_RETRY_MS = 10;
/** See {@link PgSubscriptionSettings.passIntervalMs}. */
const PASS_INTERVAL_MS = 200;
/** The step (ms) of a replay's wait for events to gather (see `replayGatherMs`). */
const GATHER_STEP_MS = 50;
/** Largest batch while catching up (see {@link PgSubscriptionSettings.maxBatchSize}). */
const LIVE_MAX_BATCH = 2_000;
const REPLAY_MAX_BATCH = 10_000;

/**
 * Runs one consumer against the PostgreSQL log.
 *
 * Only one process reads a consumer name at a time: the reader holds a session-level
 * advisory lock on `leadline-consumer:<name>` on its dedicated connection; others wait as
 * standbys and take over when it dies (the lock goes with the connection). Each batch is
 * one transaction: handler effects and the checkpoint commit together. A failing batch is
 * rolled back and retried with exponential backoff (100 ms doubling to 30 s).
 */
export class PgSubscription implements Subscription {
  private stopped = false;
  private readonly done: Promise<void>;
  private replayUntil: PgCheckpoint | undefined;
  /** Where this reader has got to; read from the database on each (re)connection. */
  private checkpoint: PgCheckpoint | undefined;
  private readonly consumerLog: Logger;
  /** Settles once a `from: 'start'` reset has happened (at once otherwise). */
  private readonly resetDone: Promise<void>;
  private markResetDone!: () => void;
  /**
   * The next batch, read on a second connection while the current one is handled (see
   * {@link readAhead}): where it starts, how many rows it asked for, and the read.
   */
  private ahead:
    { after: PgCheckpoint; limit: number; read: Promise<Batch>; generation: number } | undefined;
  /** The second connection of {@link readAhead}, opened on first use, closed once caught up. */
  private aheadClient: pg.Client | undefined;
  /** Which appends wake this reader at once (see {@link PgSubscriptionSettings.passIntervalMs}). */
  private readonly wakeFilter: WakeFilter | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: SubscribeOptions,
    private readonly settings: PgSubscriptionSettings,
  ) {
    this.consumerLog = settings.log.child({ consumer: consumer.name });
    this.resetDone = new Promise((resolve) => (this.markResetDone = resolve));
    if (options.from !== 'start') this.markResetDone();
    const types = consumer.eventTypes;
    this.wakeFilter = types && {
      concerns: noticeConcerns(types),
      otherwiseAfterMs: Math.min(
        settings.passIntervalMs ?? PASS_INTERVAL_MS,
        settings.pollIntervalMs,
      ),
    };
    this.done = this.run();
  }

  private get log(): Logger {
    return this.settings.log;
  }

  private async run(): Promise<void> {
    let resetPending = this.options.from === 'start';
    let failures = 0;
    while (!this.stopped) {
      const client = new pg.Client(clientConfig(this.settings.url));
      client.on('error', (error) => this.log.warn({ err: error }, 'consumer connection error'));
      try {
        await client.connect();
        if (!(await this.becomeActiveReader(client))) break;
        if (this.consumer.asyncCommit) await client.query('SET synchronous_commit = off');
        this.checkpoint = undefined;
        if (resetPending) {
          await resetCheckpoint(client, this.consumer.name);
          this.replayUntil = await headOfLog(client);
          resetPending = false;
          this.markResetDone();
        }
        const base = this.settings.batchSize ?? 100;
        const max = Math.max(
          base,
          this.settings.maxBatchSize ?? (this.options.replay ? REPLAY_MAX_BATCH : LIVE_MAX_BATCH),
        );
        const gatherMs = this.options.replay ? this.settings.replayGatherMs : undefined;
        // A gathering reader reads its largest batch: what gathered, or what an older open
        // transaction held back and then let through all at once. After a failed batch or a
        // halt at a dead letter it reads `base` first, as any reader does.
        let limit = gatherMs === undefined || failures > 0 ? base : max;
        while (!this.stopped) {
          const generation = this.settings.wakeups.current();
          const { full, heldBack, halted, readAt } = await this.handleBatch(
            client,
            limit,
            Math.min(max, limit * 2),
          );
          failures = 0;
          if (gatherMs === undefined) limit = full ? Math.min(max, limit * 2) : base;
          else limit = halted ? base : max;
          if (halted) {
            // Stopped at a dead letter (what came before it is committed): look again soon.
            await sleep(retryDelayMs(halted, 1));
            continue;
          }
          if (full) continue;
          // Caught up: the read-ahead connection is closed until the next backlog.
          if (this.aheadClient) await this.dropReadAhead();
          if (heldBack) {
            // Committed events wait behind an older open transaction; their NOTIFY may
            // already have been spent, so look again shortly rather than wait for one.
            await sleep(HORIZON_RETRY_MS);
            continue;
          }
          if (gatherMs !== undefined) {
            // In steps, so that `stop` is not kept waiting for the whole of it.
            for (let waited = 0; waited < gatherMs && !this.stopped; waited += GATHER_STEP_MS) {
              await sleep(Math.min(GATHER_STEP_MS, gatherMs - waited));
            }
            continue;
          }
          // A batch read ahead was read before this turn began: an append that woke us since
          // must still end the wait (its wake-up is counted from when that read was sent).
          await this.settings.wakeups.wait(
            readAt ?? generation,
            this.settings.pollIntervalMs,
            this.wakeFilter,
          );
        }
      } catch (error) {
        if (this.stopped) break;
        failures++;
        const delay = retryDelayMs(error, failures);
        if (!isHalt(error)) {
          this.log.error(
            { err: error, consumer: this.consumer.name, attempt: failures, retryInMs: delay },
            'consumer batch failed; retrying',
          );
        }
        await sleep(delay);
      } finally {
        await this.dropReadAhead();
        await client.end().catch(() => {});
      }
    }
  }

  /** Takes the consumer's advisory lock, waiting as a standby while another process holds it. */
  private async becomeActiveReader(client: pg.Client): Promise<boolean> {
    const key = readerLockKey(this.consumer.name);
    let announced = false;
    while (!this.stopped) {
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [key],
      );
      if (rows[0]?.ok) {
        if (announced) this.log.info({ consumer: this.consumer.name }, 'standby became active');
        return true;
      }
      if (!announced) {
        this.log.info({ consumer: this.consumer.name }, 'another process reads; standing by');
        announced = true;
      }
      await sleep(this.settings.standbyRetryMs ?? 1_000);
    }
    return false;
  }

  /**
   * Reads the next batch after the checkpoint this reader holds, and when there is one,
   * hands it to the consumer in one transaction that also stores the new checkpoint. The
   * read needs no transaction (events are immutable once readable), so a wake-up with
   * nothing new costs one query. `checkpoint` is read once per connection: only the holder of
   * the consumer's advisory lock moves it.
   */
  private async handleBatch(
    client: pg.Client,
    limit: number,
    nextLimit: number,
  ): Promise<{
    handled: number;
    full: boolean;
    heldBack: boolean;
    halted?: unknown;
    /** The wake-up generation when the batch's read was sent, if it was read ahead. */
    readAt?: number;
  }> {
    this.checkpoint ??= await readCheckpoint(client, this.consumer.name);
    const checkpoint = this.checkpoint;
    const types = this.consumer.eventTypes;
    const ahead = await this.takeReadAhead(checkpoint, limit);
    const readAt = ahead?.generation;
    const batch =
      ahead?.batch ??
      (await readBatch(
        client,
        checkpoint,
        this.settings.epoch(),
        limit,
        types && { types, passAs: this.consumer.name },
      ));
    if (batch.rows.length === 0) {
      return { handled: 0, full: false, heldBack: batch.heldBackByHorizon, readAt };
    }
    // Only the events of the types the consumer declares are decoded and handed over.
    const wanted = types ? batch.rows.filter((row) => types.has(typeOfValues(row))) : batch.rows;
    if (wanted.length === 0) {
      // Nothing here for this consumer: no transaction. The read itself stored the checkpoint
      // past the batch (`passAs`: the same rows, judged by the same types).
      this.checkpoint = checkpointOfValues(batch.rows[batch.rows.length - 1]!);
      return {
        handled: batch.rows.length,
        full: batch.rows.length === limit,
        heldBack: batch.heldBackByHorizon,
        readAt,
      };
    }
    const setup = this.options.searchPath
      ? searchPathStatement(this.options.searchPath)
      : undefined;
    const deliveries = wanted.map((row) => ({
      event: valuesToEvent(row),
      replay:
        this.options.replay === true ||
        (this.replayUntil
          ? compareCheckpoints(checkpointOfValues(row), this.replayUntil) <= 0
          : false),
    }));
    // A full batch of a consumer that takes every event: more is likely waiting, so the next
    // batch is read while this one is handled.
    if (!types && batch.rows.length === limit) {
      this.readAhead(checkpointOfValues(batch.rows[batch.rows.length - 1]!), nextLimit);
    }
    let store: string | undefined;
    const outcome = await withTransaction(
      client,
      async (tx) => {
        const { handled, halted } = await deliverEvents(
          this.consumer,
          deliveries,
          tx,
          this.consumerLog,
        );
        // Halted: keep what was handled (and passed over) before the dead letter; stop in
        // front of it.
        const through = halted ? batch.rows.indexOf(wanted[handled]!) : batch.rows.length;
        const last = through > 0 ? checkpointOfValues(batch.rows[through - 1]!) : undefined;
        // Stored in the round trip that commits (`commitWith`).
        if (last) store = storeCheckpointStatement(this.consumer.name, last, through);
        return { handled: through, halted, last };
      },
      { ...(setup ? { setup } : {}), commitWith: () => store },
    );
    if (outcome.last) this.checkpoint = outcome.last;
    if (outcome.halted) {
      return { handled: outcome.handled, full: false, heldBack: false, halted: outcome.halted };
    }
    return {
      handled: batch.rows.length,
      full: batch.rows.length === limit,
      heldBack: batch.heldBackByHorizon,
      readAt,
    };
  }

  /**
   * Starts reading the batch after `after` on a second connection, so the database reads it
   * while this process handles the current batch (a replay or a catch-up then waits for one
   * of the two, not both). Only for consumers without `eventTypes`: a typed read may store
   * the checkpoint itself (`passAs`), which only the batch in hand may move. The read is
   * gap-safe on its own; the current batch's open transaction only makes it stop sooner.
   * A read that fails is dropped: the next batch is then read as usual. The wake-up
   * generation is taken before the read is sent, as the run loop does for its own reads.
   */
  private readAhead(after: PgCheckpoint, limit: number): void {
    const generation = this.settings.wakeups.current();
    const read = (async () => {
      if (!this.aheadClient) {
        const reader = new pg.Client(clientConfig(this.settings.url));
        reader.on('error', (error) => this.log.warn({ err: error }, 'read-ahead connection error'));
        this.aheadClient = reader;
        await reader.connect();
      }
      return readBatch(this.aheadClient, after, this.settings.epoch(), limit);
    })();
    read.catch(() => {}); // judged when taken (takeReadAhead)
    this.ahead = { after, limit, read, generation };
  }

  /**
   * The batch read ahead and the wake-up generation its read was sent at, when it starts at
   * `checkpoint` with `limit` rows asked for (the current batch committed through its end);
   * otherwise, or when that read failed, nothing (the caller reads as usual).
   */
  private async takeReadAhead(
    checkpoint: PgCheckpoint,
    limit: number,
  ): Promise<{ batch: Batch; generation: number } | undefined> {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (!ahead) return undefined;
    const usable = ahead.limit === limit && compareCheckpoints(ahead.after, checkpoint) === 0;
    try {
      const batch = await ahead.read;
      return usable ? { batch, generation: ahead.generation } : undefined;
    } catch (error) {
      this.log.debug({ err: error, consumer: this.consumer.name }, 'read-ahead failed; reading');
      await this.dropReadAhead();
      return undefined;
    }
  }

  /** Forgets a pending read-ahead and closes its connection. */
  private async dropReadAhead(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    await ahead?.read.catch(() => {});
    const reader = this.aheadClient;
    this.aheadClient = undefined;
    await reader?.end().catch(() => {});
  }

  async whenCaughtUp(timeoutMs = 30_000): Promise<void> {
    await this.resetDone;
    const probe = new pg.Client(clientConfig(this.settings.url));
    probe.on('error', () => {}); // a lost probe fails its query; nothing else to do
    await probe.connect();
    try {
      const head = await headOfLog(probe);
      const deadline = Date.now() + timeoutMs;
      while (compareCheckpoints(await readCheckpoint(probe, this.consumer.name), head) < 0) {
        if (Date.now() > deadline) {
          throw new Error(`consumer ${this.consumer.name} did not catch up within ${timeoutMs} ms`);
        }
        await sleep(20);
      }
    } finally {
      await probe.end();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.markResetDone();
    this.settings.wakeups.wakeAll();
    await this.done;
  }
}

/** The last committed event's checkpoint triple (START when the log is empty). */
export async function headOfLog(db: pg.ClientBase): Promise<PgCheckpoint> {
  const { rows } = await db.query<{ epoch: number; transaction_id: string; position: string }>(
    `SELECT epoch, transaction_id, position FROM events
      ORDER BY epoch DESC, transaction_id DESC, position DESC LIMIT 1`,
  );
  const row = rows[0];
  return row
    ? { epoch: row.epoch, transactionId: row.transaction_id, position: row.position }
    : { epoch: 0, transactionId: '0', position: '0' };
}
