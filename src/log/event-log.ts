import type pg from 'pg';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../events/catalogue.ts';
import type { Logger } from '../shared/logger.ts';
import type { ConsumerLag } from './consumer-lag.ts';
import type { ConsumerPositions } from './consumer-positions.ts';
import type { LogDescription } from './log-kinds.ts';
import type { HorizonStatus } from './log-horizon.ts';
import type { LogSnapshot } from './log-snapshot.ts';

/** What `append` reports for each event, in the order given. */
export interface AppendResult {
  id: string;
  /** Where the event sits (adapter-specific, see {@link RecordedLeadlineEvent.position}). */
  position: string;
  /** True when an event with this id was already in the log: nothing was written. */
  duplicate: boolean;
  /**
   * True when the log was unreachable and the event was made durable in the local spool
   * instead (`src/intake`); it reaches the log, exactly once, when the log is back.
   * `position` is then empty.
   */
  spooled?: boolean;
}

/**
 * What a consumer's handler is given with each event. `db` is a PostgreSQL connection inside
 * the transaction that will also store the consumer's checkpoint: write every effect
 * through it and the effect and the checkpoint commit together (exactly-once effects).
 */
export interface ConsumerContext {
  db: pg.ClientBase;
  /**
   * True while the consumer re-reads history (a rebuild or replay). Side effects must not
   * happen: the outbox refuses to enqueue in replay mode (design §4).
   */
  replay: boolean;
  log: Logger;
}

/**
 * A named reader of the log. Its checkpoint is stored under `name`; two processes running
 * the same name share (Kafka) or take turns at (PostgreSQL) the work, never both applying it.
 */
export interface Consumer {
  name: string;
  /**
   * True for a consumer whose effects are only state a replay derives again exactly, and
   * that nothing outside the database acts on before it is durable (a projection; never a
   * processor, whose outbox rows the sender acts on at once). Its batches then commit
   * without waiting for the write-ahead log to reach the disk (`synchronous_commit = off`):
   * a crash of the database server may lose its last moments of batches together with their
   * checkpoint, and it handles those events again. Saves a disk flush per batch.
   */
  asyncCommit?: boolean;
  /**
   * The only event types this consumer acts on (absent: any). The PostgreSQL log hands over
   * only events of these types (others are neither decoded nor delivered; the checkpoint
   * passes them all the same), and a batch holding none of them needs no transaction: the
   * log moves past it in the statement that read it, which also stores the checkpoint. A
   * consumer that a busy log rarely concerns (tenants, consent, quota) then costs one round
   * trip per wake-up. The Kafka log delivers every event; handlers must still ignore the types
   * they do not act on.
   */
  eventTypes?: ReadonlySet<string>;
  /** Handles one event. Throwing rolls back the batch; it is retried with backoff. */
  handle(event: RecordedLeadlineEvent, ctx: ConsumerContext): Promise<void>;
  /**
   * Handles consecutive events at once, when the consumer can do better than one at a time
   * (fold them in memory, write each changed row once with set-based SQL). `events` are in
   * log order (on Kafka: one partition's), none seen before by this call, all with the same
   * `ctx.replay`; live they are a few, in a replay up to the adapter's largest batch (2,000 on
   * PostgreSQL, a fetch on Kafka). Must leave exactly what calling {@link handle} for each in
   * turn would. Throwing rolls back the whole transaction; a consumer wrapped in
   * `withPoisonPolicy` then goes through the batch one event at a time to find the one that
   * fails. Optional: without it, the adapter calls `handle` for each event.
   */
  handleBatch?(events: readonly RecordedLeadlineEvent[], ctx: ConsumerContext): Promise<void>;
}

/** Options of {@link EventLog.subscribe}. */
export interface SubscribeOptions {
  /** `start` replays the whole log (replay mode); `checkpoint` (default) resumes. */
  from?: 'start' | 'checkpoint';
  /**
   * Every event is handled in replay mode, wherever the consumer starts (a rebuild under its
   * own name, resumable from its own checkpoint).
   */
  replay?: boolean;
  /**
   * A PostgreSQL schema searched before `public` by the handler's transaction: a rebuild
   * writes the new version of a read model into its own tables under the usual names.
   * Must be a plain identifier (`[a-z_][a-z0-9_]*`).
   */
  searchPath?: string;
}

/** A running consumer. */
export interface Subscription {
  /** Resolves once the consumer has handled every event appended before the call. */
  whenCaughtUp(timeoutMs?: number): Promise<void>;
  /** Stops after the batch in hand commits. */
  stop(): Promise<void>;
}

/** Options of {@link EventLog.follow}. */
export interface FollowOptions {
  /**
   * Where to begin: `now` (default) delivers the events appended from the moment the reader
   * is in place; `start` the whole log first; `{ last: n }` the n newest matching events
   * first (on Kafka: among the last 1,000, or n if more, messages of each partition, by
   * recorded time).
   */
  from?: 'now' | 'start' | { last: number };
  /** Only events of these types (default: every type). */
  types?: readonly string[];
  /** Only events of this tenant (default: every tenant's, and those of none). */
  tenantId?: string;
  /** Called once, when the reader is in place: every event appended after it is delivered. */
  onReady?: () => void;
}

/** Receives each event {@link EventLog.follow} delivers; awaited before the next. */
export type FollowHandler = (event: RecordedLeadlineEvent) => void | Promise<void>;

/**
 * The log port (design §3): an append-only, durable sequence of events, ordered per stream.
 * Adapters: PostgreSQL (`PostgresEventLog`, the embedded default) and Kafka. Every adapter
 * passes the same contract suite (`test/support/log-contract.ts`, run by
 * `test/int/postgres-log.test.ts` and `test/int/kafka-log.test.ts`).
 */
export interface EventLog {
  /**
   * Appends events, durable before the promise resolves. Atomic (all or none) on PostgreSQL;
   * on Kafka, events of one stream go to one partition in one request, so an append of one
   * stream's events (every caller's today) is atomic too.
   * Idempotent on event id: an event whose id is already in the log is not written
   * again and is reported with its original position and `duplicate: true`.
   */
  append(events: LeadlineEvent[]): Promise<AppendResult[]>;
  /** Every event of one stream, oldest first. */
  read(streamId: string): Promise<RecordedLeadlineEvent[]>;
  /**
   * Runs `consumer` from its checkpoint (or the start): at-least-once delivery, in order per
   * stream, checkpoint stored in PostgreSQL in the handler's own transaction.
   */
  subscribe(consumer: Consumer, options?: SubscribeOptions): Subscription;
  /**
   * Delivers events as they are appended, filtered by type and tenant, until `signal` aborts
   * (the promise then resolves). A reader that only looks (`leadline events tail`): it
   * creates and moves no consumer checkpoint, Kafka offset or committed group offset, so
   * operators may follow production. Order: the log's (PostgreSQL: one global order; Kafka:
   * per partition). Events are upcast to their current schema version like every read.
   * @throws UnknownSchemaVersionError when an event that passes the filters cannot be read.
   */
  follow?(options: FollowOptions, onEvent: FollowHandler, signal: AbortSignal): Promise<void>;
  /** Where consumers have got to, for operators' tools (see {@link ConsumerPositions}). */
  readonly positions: ConsumerPositions;
  /** Which log this is and where it keeps its events, in words for operators. */
  readonly about: LogDescription;
  /**
   * Each named consumer's lag against the true head of the log, in the order named: events
   * appended that it has not handled, the age (s) of the oldest of them, events handled and
   * when its checkpoint last moved. A name that never ran is behind by the whole log.
   * PostgreSQL: every committed event, those the horizon still hides included. Kafka: the
   * brokers' high-water marks (whoever produced), ages from Leadline's registry of appends.
   * @throws Error when the database (or the brokers) cannot be reached.
   */
  consumerLag(consumers: readonly string[]): Promise<ConsumerLag[]>;
  /**
   * Whether `consumer` has handled every event that stood before `eventId` in the log, so its
   * read model already shows them (a sender asking the consent ledger about a text caused by
   * `eventId`). PostgreSQL: its checkpoint is at or past `eventId` in log order (for an id the
   * log does not hold: it has handled every committed event). Kafka, which orders events only
   * within a partition: it has handled everything the brokers hold now, which may say false
   * for longer than needed, never true too early. False for a consumer that never ran.
   * @throws Error when the database (or the brokers) cannot be reached.
   */
  hasReached(consumer: string, eventId: string): Promise<boolean>;
  /**
   * Whether a long transaction holds the log's readers back (see {@link HorizonStatus}); null
   * for a log whose readers never wait for older writers (Kafka).
   * @throws Error when the database cannot be reached.
   */
  horizon(): Promise<HorizonStatus | null>;
  /**
   * Events the log holds now, however they got there; 0 means empty (a restore's target
   * must be). PostgreSQL: rows of `events`. Kafka: records in its topics or appends in its
   * registry, whichever is more (a claimed append may not have reached the broker yet).
   * @throws Error when the database (or the brokers) cannot be reached.
   */
  storedEvents(): Promise<number>;
  /**
   * A consistent, finite view of the whole log as stored (not upcast), for a backup: every
   * event committed when it was taken and none after, read once in log order while appends
   * go on. The caller must `close` it (see {@link LogSnapshot}).
   * @throws Error when the snapshot cannot be opened.
   */
  snapshot(): Promise<LogSnapshot>;
  /** Stops every subscription and releases connections. */
  close(): Promise<void>;
}
