import type pg from 'pg';
import type { RecordedLeadlineEvent } from '../events/catalogue.ts';
import type { Logger } from '../shared/logger.ts';
import type { Consumer, ConsumerContext } from './event-log.ts';
import { isHalt } from './retry-delay.ts';

/** One event a log adapter hands to a consumer, and whether it is history (replay mode). */
export interface Delivery {
  event: RecordedLeadlineEvent;
  replay: boolean;
}

/** What {@link deliverEvents} got through. */
export interface DeliveryOutcome {
  /** How many deliveries, counted from the first, are handled: all unless `halted`. */
  handled: number;
  /**
   * The `ConsumerHaltedError` that stopped the consumer in front of delivery number
   * `handled` (a dead letter waiting for an operator); what came before it stands.
   */
  halted?: unknown;
}

/**
 * Hands `deliveries` (one read of the log, in order) to `consumer` inside the adapter's
 * transaction `db`, the part both log adapters share. Consecutive deliveries with the same
 * replay flag go to {@link Consumer.handleBatch} in one call when the consumer has it, else to
 * `handle` one by one. A halt (the poison policy stopping at a dead letter: an error named
 * `ConsumerHaltedError` with the `eventId` it stopped in front of) ends the delivery with the
 * count handled before that event, so the adapter stores its checkpoint there and commits.
 * @throws whatever the consumer throws, halts excepted (the adapter rolls back and retries).
 */
export async function deliverEvents(
  consumer: Consumer,
  deliveries: readonly Delivery[],
  db: pg.ClientBase,
  consumerLog: Logger,
): Promise<DeliveryOutcome> {
  let start = 0;
  while (start < deliveries.length) {
    const replay = deliveries[start]!.replay;
    let end = start + 1;
    while (end < deliveries.length && deliveries[end]!.replay === replay) end++;
    const run = deliveries.slice(start, end).map((d) => d.event);
    let done = 0;
    try {
      if (consumer.handleBatch) {
        await consumer.handleBatch(run, { db, replay, log: consumerLog });
      } else {
        for (const event of run) {
          await consumer.handle(event, eventContext(db, replay, consumerLog, event.id));
          done++;
        }
      }
    } catch (error) {
      if (!isHalt(error)) throw error;
      const at = consumer.handleBatch ? haltedAt(error, run) : done;
      return { handled: start + at, halted: error };
    }
    start = end;
  }
  return { handled: deliveries.length };
}

/** Where in `run` a batch halted: the index of the event the halt names. */
function haltedAt(error: unknown, run: readonly RecordedLeadlineEvent[]): number {
  const eventId = (error as { eventId?: unknown }).eventId;
  const at = run.findIndex((event) => event.id === eventId);
  if (at < 0) {
    // Without it the adapter cannot tell what to keep: roll the whole batch back instead.
    throw new Error(`a consumer halted at event ${String(eventId)}, which is not in its batch`, {
      cause: error,
    });
  }
  return at;
}

/**
 * The context a handler gets for one event. Its logger (bound to the event id) is made only
 * when the handler asks for it: most handlers never log, and a child logger per event is a
 * measurable share of a replay.
 */
function eventContext(
  db: pg.ClientBase,
  replay: boolean,
  consumerLog: Logger,
  eventId: string,
): ConsumerContext {
  let log: Logger | undefined;
  return {
    db,
    replay,
    get log() {
      return (log ??= consumerLog.child({ eventId }));
    },
  };
}
