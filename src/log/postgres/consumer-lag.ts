import type pg from 'pg';
import { toConsumerLags, type ConsumerLag } from '../consumer-lag.ts';

// Behind: every committed event past the checkpoint in log order, including those the
// horizon still hides from readers.
const CHECKPOINT_LAG = `
  SELECT c.name AS consumer, COALESCE(k.events_handled, 0)::bigint AS handled, k.updated_at,
         behind.n AS behind, behind.oldest
    FROM unnest($1::text[]) c(name)
    LEFT JOIN consumer_checkpoints k ON k.consumer_name = c.name
    CROSS JOIN LATERAL (
      SELECT count(*)::bigint AS n, min(e.recorded_at) AS oldest FROM events e
       WHERE k.consumer_name IS NULL
          OR (e.epoch, e.transaction_id, e.position) > (k.epoch, k.transaction_id, k.position)) behind`;

/**
 * Each consumer's lag on the PostgreSQL log (see `EventLog.consumerLag`): the `events` rows
 * after its `consumer_checkpoints` row in log order (`epoch, transaction_id, position`), the
 * oldest one's `recorded_at`, and the checkpoint's counter and time.
 * @throws Error when the database cannot be reached.
 */
export async function postgresConsumerLag(
  db: pg.Pool,
  consumers: readonly string[],
): Promise<ConsumerLag[]> {
  const { rows } = await db.query<{
    consumer: string;
    handled: string;
    updated_at: Date | null;
    behind: string;
    oldest: Date | null;
  }>(CHECKPOINT_LAG, [[...consumers]]);
  return toConsumerLags(
    consumers,
    rows.map((r) => ({ ...r, updatedAt: r.updated_at })),
  );
}

// Reached: the checkpoint is at or past the event in log order; for an id the log does not
// hold, no committed event lies past the checkpoint. A consumer that never ran has reached
// nothing.
const HAS_REACHED = `
  SELECT k.consumer_name IS NOT NULL AND CASE
           WHEN e.event_id IS NOT NULL
             THEN (k.epoch, k.transaction_id, k.position) >= (e.epoch, e.transaction_id, e.position)
           ELSE NOT EXISTS (SELECT 1 FROM events x
                             WHERE (x.epoch, x.transaction_id, x.position) > (k.epoch, k.transaction_id, k.position))
         END AS reached
    FROM (VALUES (1)) AS one
    LEFT JOIN consumer_checkpoints k ON k.consumer_name = $1
    LEFT JOIN events e ON e.event_id = $2`;

/**
 * Whether `consumer` has handled every event up to `eventId` in log order on the PostgreSQL
 * log (see `EventLog.hasReached`): one statement over `consumer_checkpoints` and `events`.
 * @throws Error when the database cannot be reached.
 */
export async function postgresHasReached(
  db: pg.Pool,
  consumer: string,
  eventId: string,
): Promise<boolean> {
  const { rows } = await db.query<{ reached: boolean }>(HAS_REACHED, [consumer, eventId]);
  return rows[0]?.reached === true;
}
