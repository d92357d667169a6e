import type pg from 'pg';
import type { PoisonPolicy } from './poison-policy-kind.ts';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Consumer, ConsumerContext } from '../event-log.ts';
import { isTransient } from '../../shared/faults.ts';
import {
  deadLetterStatus,
  haltingDeadLetters,
  isStreamParked,
  parkEvent,
  parkStream,
  parkedStreams,
  recordDeadLetter,
  setDeadLetterStatus,
} from './dead-letter-store.ts';

/** Re-exported: consumer specs name the policy where they wrap consumers with it. */
export type { PoisonPolicy } from './poison-policy-kind.ts';

/** Settings of {@link withPoisonPolicy}. */
export interface PoisonSettings {
  policy: PoisonPolicy;
  /** Attempts at one event before it is dead-lettered (`LEADLINE_CONSUMER_MAX_ATTEMPTS`). */
  maxAttempts: number;
  /** For writes that must outlive the failing batch's rollback (a `stop` dead letter). */
  pool: pg.Pool;
  /** How often the cached halts and parked streams are re-read (ms). Default 5000. */
  refreshMs?: number;
  now?: () => number;
}

/**
 * Thrown while a `stop` consumer waits at a dead letter. Log adapters retry it after
 * `retryInMs` rather than with their growing backoff, so a retry or skip takes effect within
 * about a second.
 */
export class ConsumerHaltedError extends Error {
  override readonly name = 'ConsumerHaltedError';
  readonly retryInMs = 1_000;
  /**
   * @param eventId the event the consumer stopped in front of: everything before it in the
   *   batch is handled and stays (see `deliverEvents`).
   */
  constructor(
    readonly consumer: string,
    readonly deadLetterId: string,
    readonly eventId: string,
  ) {
    super(
      `consumer ${consumer} is stopped at dead letter ${deadLetterId}; ` +
        `see \`leadline deadletters list\`, then retry or skip it`,
    );
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

const SAVEPOINT = 'leadline_poison_guard';

/**
 * Wraps `consumer` so that an event it keeps failing on becomes a dead letter (design §4:
 * poison events). Attempts are counted in memory per event id; the log adapter retries the
 * batch with backoff between attempts. The last attempt runs under a savepoint, so a parked
 * event leaves no partial effect. Works the same over both log adapters because it only
 * uses the handler's transaction (`ctx.db`).
 */
export function withPoisonPolicy(consumer: Consumer, settings: PoisonSettings): Consumer {
  return new PoisonGuard(consumer, settings);
}

class PoisonGuard implements Consumer {
  readonly name: string;
  readonly asyncCommit?: boolean;
  readonly eventTypes?: ReadonlySet<string>;
  private readonly failures = new Map<string, number>();
  private halts: Map<string, string> | undefined;
  private parked: Set<string> | undefined;
  private refreshedAt = 0;
  /** Events an operator asked to retry: resolved once handled. */
  private readonly retrying = new Map<string, string>();

  constructor(
    private readonly inner: Consumer,
    private readonly settings: PoisonSettings,
  ) {
    this.name = inner.name;
    if (inner.asyncCommit) this.asyncCommit = true;
    if (inner.eventTypes) this.eventTypes = inner.eventTypes;
    if (inner.handleBatch) this.handleBatch = (events, ctx) => this.handleWholeBatch(events, ctx);
  }

  private now(): number {
    return (this.settings.now ?? Date.now)();
  }

  private async refresh(ctx: ConsumerContext): Promise<void> {
    if (
      this.halts &&
      this.parked &&
      this.now() - this.refreshedAt < (this.settings.refreshMs ?? 5_000)
    ) {
      return;
    }
    this.halts = await haltingDeadLetters(ctx.db, this.name);
    this.parked = await parkedStreams(ctx.db, this.name);
    this.refreshedAt = this.now();
  }

  /**
   * Present only when the wrapped consumer handles batches. The batch goes to it in one call.
   * When that throws (anything but a lost connection or a halt), the error rolls the whole
   * transaction back as usual, and the batch's events are marked to go one at a time: the
   * adapter's retry hands them to {@link handle} one by one, so the event that fails is found,
   * counted and, at its last attempt, dead-lettered exactly as if it had come alone. A batch
   * holding an event so marked, already failing, a dead letter or an event of a parked stream
   * goes one at a time. (No savepoint per batch: two statements a batch for a rare failure.)
   */
  readonly handleBatch?: (
    events: readonly RecordedLeadlineEvent[],
    ctx: ConsumerContext,
  ) => Promise<void>;

  /** Events of a batch that failed, to be handled one at a time until each has been. */
  private readonly oneByOne = new Set<string>();

  private async handleWholeBatch(
    events: readonly RecordedLeadlineEvent[],
    ctx: ConsumerContext,
  ): Promise<void> {
    await this.refresh(ctx);
    if (events.length === 1 || events.some((event) => this.needsCare(event))) {
      for (const event of events) {
        await this.handle(event, ctx);
        this.oneByOne.delete(event.id);
      }
      return;
    }
    try {
      await this.inner.handleBatch!(events, ctx);
    } catch (error) {
      if (isTransient(error) || error instanceof ConsumerHaltedError) throw error;
      if (this.oneByOne.size > 100_000) this.oneByOne.clear(); // bounded; only costs speed
      for (const event of events) this.oneByOne.add(event.id);
      ctx.log.warn(
        { err: error, events: events.length },
        'a batch failed; retrying its events one at a time to find the one that fails',
      );
      throw error;
    }
  }

  /**
   * True when `event` goes one at a time: its batch failed, it failed, it is a dead letter, or
   * its stream is parked.
   */
  private needsCare(event: RecordedLeadlineEvent): boolean {
    return (
      this.oneByOne.has(event.id) ||
      this.failures.has(event.id) ||
      this.halts!.has(event.id) ||
      this.retrying.has(event.id) ||
      this.parked!.has(event.streamId)
    );
  }

  async handle(event: RecordedLeadlineEvent, ctx: ConsumerContext): Promise<void> {
    await this.refresh(ctx);
    if (await this.heldBack(event, ctx)) return;

    const attempt = (this.failures.get(event.id) ?? 0) + 1;
    const last = attempt >= this.settings.maxAttempts;
    // The last attempt runs under a savepoint: its partial effects can be undone while the
    // events before it in the batch are kept.
    const guarded = last;
    if (guarded) await ctx.db.query(`SAVEPOINT ${SAVEPOINT}`);
    try {
      await this.inner.handle(event, ctx);
    } catch (error) {
      if (isTransient(error) || error instanceof ConsumerHaltedError) throw error;
      if (!last) {
        this.failures.set(event.id, attempt);
        throw error;
      }
      this.failures.delete(event.id);
      await this.deadLetter(event, ctx, describe(error), attempt);
      return;
    }
    if (guarded) await ctx.db.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    this.failures.delete(event.id);
    const retried = this.retrying.get(event.id);
    if (retried) {
      // Resolved with this batch's commit; until then the request stays in `halts`.
      await setDeadLetterStatus(ctx.db, retried, 'resolved');
      this.retrying.delete(event.id);
    }
  }

  /**
   * True when `event` must not be handled now: its stream is parked (it is parked too), or it
   * is a `stop` dead letter still open (throws {@link ConsumerHaltedError}) or skipped.
   */
  private async heldBack(event: RecordedLeadlineEvent, ctx: ConsumerContext): Promise<boolean> {
    if (this.parked!.has(event.streamId)) {
      if (await isStreamParked(ctx.db, this.name, event.streamId)) {
        await parkEvent(ctx.db, this.name, event);
        ctx.log.warn({ streamEvent: event.type }, 'stream parked: event set aside');
        return true;
      }
      this.parked!.delete(event.streamId);
    }
    const halt = this.halts!.get(event.id);
    if (halt === undefined) return false;
    const status = await deadLetterStatus(ctx.db, halt);
    switch (status) {
      case 'open':
        throw new ConsumerHaltedError(this.name, halt, event.id);
      case 'skip-requested':
        // Kept in `halts` until the database says `skipped`: if this batch rolls back, the
        // request still stands and is honoured on the next try.
        await setDeadLetterStatus(ctx.db, halt, 'skipped');
        ctx.log.warn({ deadLetter: halt }, 'dead letter skipped by an operator');
        return true;
      case 'skipped':
        this.halts!.delete(event.id);
        return true;
      case 'retry-requested':
        // Kept in `halts` until the database says `resolved` (a rolled-back batch must not
        // lose the request); attempts restart only when the request is first seen.
        if (!this.retrying.has(event.id)) {
          this.failures.delete(event.id);
          this.retrying.set(event.id, halt);
        }
        return false;
      default:
        this.halts!.delete(event.id);
        return false;
    }
  }

  private async deadLetter(
    event: RecordedLeadlineEvent,
    ctx: ConsumerContext,
    error: string,
    attempts: number,
  ): Promise<void> {
    const letter = { consumer: this.name, policy: this.settings.policy, event, error, attempts };
    this.retrying.delete(event.id);
    await ctx.db.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    if (this.settings.policy === 'park') {
      const id = await recordDeadLetter(ctx.db, letter);
      await parkStream(ctx.db, this.name, event, id);
      this.parked!.add(event.streamId);
      ctx.log.error(
        { deadLetter: id, eventId: event.id, eventType: event.type, attempts, error },
        'poison event: dead-lettered, its stream parked; other streams go on',
      );
      return;
    }
    // Written outside the batch: it must stand even if the batch is rolled back.
    const id = await recordDeadLetter(this.settings.pool, letter);
    this.halts!.set(event.id, id);
    ctx.log.error(
      { deadLetter: id, eventId: event.id, eventType: event.type, attempts, error },
      'poison event: dead-lettered; consumer stopped until it is retried or skipped',
    );
    throw new ConsumerHaltedError(this.name, id, event.id);
  }
}
