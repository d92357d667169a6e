import { setTimeout as sleep } from 'node:timers/promises';
import type { LeadlineEvent } from '../events/catalogue.ts';
import type { AppendResult, EventLog } from '../log/event-log.ts';
import { isUnavailable, withDeadline } from '../shared/faults.ts';
import type { Logger } from '../shared/logger.ts';
import { ThrottledLog } from '../shared/throttled-log.ts';
import type { Spool } from './spool.ts';
import type { SpoolEntry, SpooledEntry } from './spool-entry.ts';

/** Settings of {@link Intake}. */
export interface IntakeOptions {
  /** The log the facts belong in. */
  log: EventLog;
  spool: Spool;
  /** Longest (ms) a webhook waits for the log before it spools instead. */
  appendDeadlineMs: number;
  logger: Logger;
  /**
   * After spooled events reach the log: the read-your-writes tables their webhook would have
   * written (the consent gate). Best effort: the projections catch up from the log anyway.
   */
  afterAppend?: (events: LeadlineEvent[]) => Promise<void>;
  /**
   * Records a status callback that was spooled because the database was unreachable.
   * @returns false when no outbound message matches (the callback is dropped, as when live).
   */
  recordStatus: (entry: Extract<SpoolEntry, { kind: 'sms-status' }>) => Promise<boolean>;
  /**
   * Relays a staff text that was spooled because the database was unreachable.
   * @returns false when its tenant no longer exists (the text is dropped).
   */
  relayStaffText?: (entry: Extract<SpoolEntry, { kind: 'staff-text' }>) => Promise<boolean>;
  /** Entries drained in one go. Default 100. */
  batchSize?: number;
  /** Counts entries spooled. */
  onSpooled?: (kind: SpoolEntry['kind']) => void;
  /** Counts entries the log refused for what they hold (moved to `rejected/`). */
  onRejected?: (kind: SpoolEntry['kind']) => void;
}

/**
 * True when the log or the database refused an entry for what it holds, so trying again can
 * never succeed: SQLSTATE classes 22 (data exception) and 23 (integrity constraint), an event
 * that fails its schema (zod) or whose version this code cannot read, or a 4xx of ours. Every
 * other failure is retried.
 */
function isRefusal(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, name, statusCode } = error as {
    code?: unknown;
    name?: unknown;
    statusCode?: unknown;
  };
  if (typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code)) return true;
  if (name === 'ZodError' || name === 'UnknownSchemaVersionError') return true;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/** What {@link Intake.status} reports (readiness, metrics). */
export interface IntakeStatus {
  /** Entries waiting in the spool. */
  entries: number;
  bytes: number;
  /** Age of the oldest waiting entry (s), 0 when none. */
  oldestSeconds: number;
}

/**
 * The webhook path's way into the log (design §12: "2xx means durable" through faults).
 *
 * {@link Intake.log} is the log as webhooks see it: its `append` is durable before it
 * resolves, in the log when the log answers within `appendDeadlineMs`, otherwise in the
 * local {@link Spool} (fsynced files under the data directory). While anything waits in
 * the spool, every later webhook spools too, so the facts of one call or conversation reach
 * the log in the order they happened. A background drain appends what the spool holds, in
 * order, once the log answers, and removes each entry only after its append resolved; an
 * entry appended twice (a crash between the append and the removal) is a no-op, since event
 * ids are deterministic and the log's append is idempotent: exactly once in the log.
 *
 * Only availability failures ({@link isUnavailable}) spool; anything else is a defect and
 * fails the webhook as before. The drain retries every failure except a refusal of the
 * entry itself (bad data: {@link isRefusal}), which is moved aside (`rejected/`, counted) so
 * it cannot hold up the rest.
 */
export class Intake {
  /**
   * The log for webhooks: appends go through the spool; reads, subscriptions, positions, lag,
   * reached positions, horizon and snapshots are the real log's.
   */
  readonly log: EventLog;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly throttled: ThrottledLog;
  /** The last append in flight per stream (see {@link Intake.append}). */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly options: IntakeOptions) {
    this.throttled = new ThrottledLog(options.logger);
    const inner = options.log;
    this.log = {
      append: (events) => this.append(events),
      read: (streamId) => inner.read(streamId),
      subscribe: (consumer, subscribeOptions) => inner.subscribe(consumer, subscribeOptions),
      ...(inner.follow ? { follow: inner.follow.bind(inner) } : {}),
      positions: inner.positions,
      about: inner.about,
      consumerLag: (consumers) => inner.consumerLag(consumers),
      hasReached: (consumer, eventId) => inner.hasReached(consumer, eventId),
      horizon: () => inner.horizon(),
      storedEvents: () => inner.storedEvents(),
      snapshot: () => inner.snapshot(),
      close: () => inner.close(),
    };
  }

  /** Starts draining (what an earlier process left first). */
  start(): void {
    this.running = this.drainLoop();
  }

  /** Stops draining after the entry in hand; what is left stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  /** What waits in the spool. */
  status(now = Date.now()): IntakeStatus {
    const oldest = this.options.spool.oldestAt();
    return {
      entries: this.options.spool.pending(),
      bytes: this.options.spool.bytes(),
      oldestSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
    };
  }

  /**
   * Keeps `entry` durably for the drain to record later (a status callback that needs the
   * database). @throws SpoolFullError when the spool is full.
   */
  async defer(entry: SpoolEntry): Promise<void> {
    await this.options.spool.write(entry);
    this.options.onSpooled?.(entry.kind);
    this.wake?.();
  }

  /**
   * Appends of one stream in this process, one after another: a fact must not reach the log
   * (directly) while an earlier fact of its stream is still on its way (and may yet be
   * spooled behind it).
   */
  private append(events: LeadlineEvent[]): Promise<AppendResult[]> {
    const streams = [...new Set(events.map((e) => e.streamId))];
    const before = Promise.all(streams.map((s) => this.tails.get(s)));
    const done = before.then(() => this.appendNow(events));
    const tail = done.then(
      () => undefined,
      () => undefined,
    );
    for (const stream of streams) this.tails.set(stream, tail);
    void tail.then(() => {
      for (const stream of streams) if (this.tails.get(stream) === tail) this.tails.delete(stream);
    });
    return done;
  }

  private async appendNow(events: LeadlineEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    if (this.options.spool.pending() === 0) {
      try {
        return await withDeadline(
          this.options.log.append(events),
          this.options.appendDeadlineMs,
          'append to the log',
        );
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        this.throttled.warn(
          'spooling',
          { err: error },
          'the log is unreachable; webhooks are spooled on local disk until it is back',
        );
      }
    }
    await this.defer({ kind: 'append', events });
    return events.map((e) => ({ id: e.id, position: '', duplicate: false, spooled: true }));
  }

  private async drainLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.options.spool.pending() === 0) {
        await this.pause(1_000);
        continue;
      }
      try {
        // Nothing readable yet (the oldest entry is still being written): wait on a timer,
        // never loop on promises alone, which would starve the very I/O being waited for.
        if ((await this.drainOnce()) === 0) await this.pause(50);
        failures = 0;
      } catch (error) {
        failures++;
        this.throttled.warn(
          'drain',
          { err: error, waiting: this.options.spool.pending() },
          'spooled webhooks could not be recorded yet; retrying',
        );
        await sleep(Math.min(2_000, 100 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  /** Waits until a spool write wakes the drain, or `ms` have passed. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, ms).unref();
    });
  }

  /**
   * Records the oldest waiting entries: runs of `append` entries in one append, status
   * callbacks and staff texts one by one, in spool order. @returns how many entries it read (0: none was
   * ready to read).
   * @throws the first availability failure (the drain retries later); other failures move
   *   the entry aside.
   */
  private async drainOnce(): Promise<number> {
    const batch = await this.options.spool.read(this.options.batchSize ?? 100);
    for (let i = 0; i < batch.length && !this.stopped;) {
      const entry = batch[i]!;
      if (entry.entry.kind === 'append') {
        let end = i;
        while (end < batch.length && batch[end]!.entry.kind === 'append') end++;
        await this.appendRun(batch.slice(i, end));
        i = end;
      } else {
        const one = entry.entry;
        await this.recordEntry(entry, () =>
          one.kind === 'staff-text'
            ? (this.options.relayStaffText?.(one) ?? Promise.resolve(false))
            : this.options.recordStatus(one as Extract<SpoolEntry, { kind: 'sms-status' }>),
        );
        i++;
      }
    }
    if (batch.length > 0) {
      this.options.logger.info(
        { drained: batch.length, waiting: this.options.spool.pending() },
        'spooled webhooks recorded in the log',
      );
    }
    return batch.length;
  }

  private async appendRun(run: SpooledEntry[]): Promise<void> {
    const eventsOf = (one: SpooledEntry) =>
      (one.entry as Extract<SpoolEntry, { kind: 'append' }>).events;
    const events = run.flatMap(eventsOf);
    try {
      await this.options.log.append(events);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Refused for what it holds: record them one by one, moving aside the one at fault.
      for (const one of run) {
        await this.recordEntry(one, async () => {
          await this.options.log.append(eventsOf(one));
          await this.after(eventsOf(one));
        });
      }
      return;
    }
    await this.after(events);
    await this.options.spool.remove(run);
  }

  /** Runs `record` for one entry: removes it when done, moves it aside when refused. */
  private async recordEntry(entry: SpooledEntry, record: () => Promise<unknown>): Promise<void> {
    try {
      const found = await record();
      if (found === false) {
        this.options.logger.warn(
          { entry: entry.name },
          'spooled status callback for an unknown message; dropped',
        );
      }
    } catch (error) {
      // Anything but a refusal of the entry itself (a full disk, a cancelled statement, a
      // deadlock, the log away) is retried: an acknowledged webhook is never thrown away.
      if (!isRefusal(error)) throw error;
      this.options.logger.error(
        { err: error, entry: entry.name },
        "a spooled webhook cannot be recorded; moved to the spool's rejected/ folder",
      );
      this.options.onRejected?.(entry.entry.kind);
      await this.options.spool.reject(entry.name, error);
      return;
    }
    await this.options.spool.remove([entry]);
  }

  private async after(events: LeadlineEvent[]): Promise<void> {
    await this.options
      .afterAppend?.(events)
      .catch((error) =>
        this.options.logger.warn({ err: error }, 'read-your-writes update after the drain failed'),
      );
  }
}
