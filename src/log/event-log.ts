import type pg from 'pg';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../events/catalogue.ts';
import type { Logger } from '../shared/logger.ts';

/** What `append` reports for each event, in the order given. */
export interface AppendResult {
  id: string;
  /** Where the event sits (adapter-specific, see {@link RecordedLeadlineEvent.position}). */
  position: string;
  /** True when an event with this id was already in the log: nothing was written. */
  duplicate: boolean;
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
  /** Handles one event. Throwing rolls back the batch; it is retried with backoff. */
  handle(event: RecordedLeadlineEvent, ctx: ConsumerContext): Promise<void>;
}

/** Options of {@link EventLog.subscribe}. */
export interface SubscribeOptions {
  /** `start` replays the whole log (replay mode); `checkpoint` (default) resumes. */
  from?: 'start' | 'checkpoint';
}

/** A running consumer. */
export interface Subscription {
  /** Resolves once the consumer has handled every event appended before the call. */
  whenCaughtUp(timeoutMs?: number): Promise<void>;
  /** Stops after the batch in hand commits. */
  stop(): Promise<void>;
}

/**
 * The log port (design §3): an append-only, durable sequence of events, ordered per stream.
 * Adapters: PostgreSQL (`PostgresEventLog`, the embedded default) and Kafka. Every adapter
 * passes the same contract suite (`test/int/event-log.contract.ts`).
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
  /** Stops every subscription and releases connections. */
  close(): Promise<void>;
}
