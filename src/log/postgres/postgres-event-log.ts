import type pg from 'pg';
import { postgresPositions } from './positions.ts';
import { SubscriptionSet } from '../subscription-set.ts';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Logger } from '../../shared/logger.ts';
import type {
  AppendResult,
  Consumer,
  EventLog,
  FollowHandler,
  FollowOptions,
  SubscribeOptions,
  Subscription,
} from '../event-log.ts';
import { followPostgres } from './follow.ts';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from './rows.ts';
import { PgSubscription } from './subscription.ts';
import { GroupCommit } from './group-commit.ts';
import { withTransaction } from '../../db/transaction.ts';
import { Wakeups } from '../../db/wakeups.ts';
import type { ConsumerLag } from '../consumer-lag.ts';
import type { ConsumerPositions } from '../consumer-positions.ts';
import type { HorizonStatus } from '../log-horizon.ts';
import type { LogDescription } from '../log-kinds.ts';
import type { LogSnapshot } from '../log-snapshot.ts';
import { postgresConsumerLag, postgresHasReached } from './consumer-lag.ts';
import { horizonStatus } from './horizon.ts';
import { postgresSnapshot } from './snapshot.ts';

/** The channel appenders NOTIFY on commit. */
export const EVENTS_CHANNEL = 'leadline_events';

/** Settings of the PostgreSQL log. */
export interface PostgresEventLogOptions {
  url: string;
  pool: pg.Pool;
  log: Logger;
  pollIntervalMs?: number;
  batchSize?: number;
  standbyRetryMs?: number;
  /** See {@link PgSubscriptionSettings.replayGatherMs}. Default none. */
  replayGatherMs?: number;
  /** See {@link PgSubscriptionSettings.passIntervalMs}. Default 200. */
  passIntervalMs?: number;
}

/**
 * The PostgreSQL adapter of the {@link EventLog} port: the `events` table, gap-safe readers
 * (see `read-batch.ts`), `LISTEN/NOTIFY` wake-ups with polling as the fallback, and
 * checkpoints in `consumer_checkpoints`. Create it with {@link PostgresEventLog.open}.
 */
export class PostgresEventLog implements EventLog {
  private readonly subscriptions = new SubscriptionSet();
  private readonly groupCommit: GroupCommit;

  private constructor(
    private readonly options: PostgresEventLogOptions,
    private readonly wakeups: Wakeups,
    private epoch: number,
  ) {
    this.positions = postgresPositions(options.url, options.log);
    this.groupCommit = new GroupCommit(options.pool, () => this.epoch, EVENTS_CHANNEL);
  }

  /**
   * Opens the log: settles the epoch (bumping it when the transaction-id counter is found
   * below the newest event's, as after a pg_dump restore into a new cluster) and starts
   * listening for appends.
   */
  static async open(options: PostgresEventLogOptions): Promise<PostgresEventLog> {
    const epoch = await settleEpoch(options.pool, options.log);
    const wakeups = new Wakeups(options.url, EVENTS_CHANNEL, options.log);
    await wakeups.start();
    return new PostgresEventLog(options, wakeups, epoch);
  }

  /**
   * Appends with group commit (`group-commit.ts`): appends made while another is being written
   * go together in one statement and one commit. Durable when the promise resolves.
   */
  async append(events: LeadlineEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    return this.groupCommit.append(events);
  }

  async read(streamId: string): Promise<RecordedLeadlineEvent[]> {
    const { rows } = await this.options.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1
        ORDER BY epoch, transaction_id, position`,
      [streamId],
    );
    return rows.map(rowToEvent);
  }

  readonly positions: ConsumerPositions;

  readonly about: LogDescription = {
    kind: 'postgres',
    holds: 'the events table',
    settings: 'DATABASE_URL (or LEADLINE_DATA_DIR)',
  };

  /** See {@link EventLog.consumerLag} and `consumer-lag.ts`. */
  consumerLag(consumers: readonly string[]): Promise<ConsumerLag[]> {
    return postgresConsumerLag(this.options.pool, consumers);
  }

  /** See {@link EventLog.hasReached} and `consumer-lag.ts`: the checkpoint against the event's place. */
  hasReached(consumer: string, eventId: string): Promise<boolean> {
    return postgresHasReached(this.options.pool, consumer, eventId);
  }

  /** See {@link EventLog.horizon} and `horizon.ts`. */
  horizon(): Promise<HorizonStatus | null> {
    return horizonStatus(this.options.pool);
  }

  /** See {@link EventLog.storedEvents}: rows of `events`. */
  storedEvents(): Promise<number> {
    return this.positions.total(this.options.pool);
  }

  /** See {@link EventLog.snapshot} and `snapshot.ts`: one `REPEATABLE READ` transaction. */
  snapshot(): Promise<LogSnapshot> {
    return postgresSnapshot(this.options.pool);
  }

  subscribe(consumer: Consumer, options: SubscribeOptions = {}): Subscription {
    const subscription = new PgSubscription(consumer, options, {
      url: this.options.url,
      epoch: () => this.epoch,
      wakeups: this.wakeups,
      log: this.options.log,
      pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
      batchSize: this.options.batchSize,
      standbyRetryMs: this.options.standbyRetryMs,
      replayGatherMs: this.options.replayGatherMs,
      passIntervalMs: this.options.passIntervalMs,
    });
    return this.subscriptions.track(subscription);
  }

  /** See {@link EventLog.follow} and `follow.ts`: gap-safe reads, no checkpoint. */
  follow(options: FollowOptions, onEvent: FollowHandler, signal: AbortSignal): Promise<void> {
    return followPostgres(
      {
        pool: this.options.pool,
        epoch: () => this.epoch,
        wakeups: this.wakeups,
        pollIntervalMs: this.options.pollIntervalMs ?? 1_000,
      },
      options,
      onEvent,
      signal,
    );
  }

  async close(): Promise<void> {
    await this.subscriptions.stopAll();
    await this.wakeups.close();
  }
}

/**
 * Returns the current epoch of the log, starting a new one when the transaction-id counter
 * is not above the newest event's (design §3: "a pg_dump restore resets the counter").
 */
async function settleEpoch(pool: pg.Pool, log: Logger): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('leadline-log-epoch', 0))");
    const { rows } = await client.query<{ epoch: number; newest: string | null; now: string }>(
      `SELECT e.epoch,
              (SELECT max(transaction_id) FROM events WHERE epoch = e.epoch)::text AS newest,
              pg_current_xact_id()::text AS now
         FROM (SELECT max(epoch) AS epoch FROM log_epochs) e`,
    );
    let epoch = rows[0]!.epoch;
    const newest = rows[0]!.newest;
    if (newest !== null && BigInt(newest) >= BigInt(rows[0]!.now)) {
      epoch += 1;
      await client.query('INSERT INTO log_epochs (epoch, reason) VALUES ($1, $2)', [
        epoch,
        `transaction id counter (${rows[0]!.now}) not above newest event's (${newest})`,
      ]);
      log.warn({ epoch }, 'transaction id counter went backwards (restore?): new log epoch');
    }
    return epoch;
  });
}
