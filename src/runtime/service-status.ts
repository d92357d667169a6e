import type pg from 'pg';
import { horizonStatus, type HorizonStatus } from './log-horizon.ts';

/** How far one consumer is behind the head of the log. */
export interface ConsumerLag {
  consumer: string;
  /** Events appended that it has not handled yet. */
  eventsBehind: number;
  /** Age (s) of the oldest event it has not handled; 0 when caught up. */
  secondsBehind: number;
  eventsHandled: number;
  /** When its checkpoint last moved (UTC ISO-8601); null: never ran. */
  checkpointAt: string | null;
}

/** What `leadline status` reports. */
export interface ServiceStatus {
  logBackend: 'postgres' | 'kafka';
  consumers: ConsumerLag[];
  /** Outbound texts by state: pending, deferred (quiet hours), retrying, sending, failed (7 days). */
  outbound: Record<string, number>;
  /** Durable timers not yet fired, and how many of those are overdue. */
  timers: { waiting: number; overdue: number };
  /** PostgreSQL log: whether a long transaction holds readers back. Null on Kafka. */
  horizon: HorizonStatus | null;
}

const POSTGRES_LAG = `
  SELECT c.name AS consumer, COALESCE(k.events_handled, 0)::bigint AS handled, k.updated_at,
         behind.n AS behind, behind.oldest
    FROM unnest($1::text[]) c(name)
    LEFT JOIN consumer_checkpoints k ON k.consumer_name = c.name
    CROSS JOIN LATERAL (
      SELECT count(*)::bigint AS n, min(e.recorded_at) AS oldest FROM events e
       WHERE k.consumer_name IS NULL
          OR (e.epoch, e.transaction_id, e.position) > (k.epoch, k.transaction_id, k.position)) behind`;

// Kafka: the head is what Leadline appended (its registry of appends), per partition.
const KAFKA_LAG = `
  SELECT c.name AS consumer,
         COALESCE((SELECT sum(events_handled) FROM kafka_offsets o WHERE o.consumer_name = c.name), 0)::bigint AS handled,
         (SELECT max(updated_at) FROM kafka_offsets o WHERE o.consumer_name = c.name) AS updated_at,
         count(a.event_id)::bigint AS behind, min(a.claimed_at) AS oldest
    FROM unnest($1::text[]) c(name)
    LEFT JOIN kafka_appends a ON a.state = 'appended' AND a."offset" >= COALESCE(
      (SELECT o.next_offset FROM kafka_offsets o
        WHERE o.consumer_name = c.name AND o.topic = a.topic AND o.partition = a.partition), 0)
   GROUP BY c.name`;

/**
 * The service's state as operators read it (`leadline status`): each consumer's lag against
 * the head of the log in events and seconds, the outbound queue by state, timers, and (on
 * PostgreSQL) whether a long transaction holds the log's readers back.
 * PostgreSQL log: the head is the `events` table. Kafka: given `brokerHeads` (the log's
 * `positions.heads()`), events behind are counted against the broker's high-water marks; the
 * age of the oldest unhandled event comes from Leadline's registry of appends
 * (`kafka_appends`), which is also the head when `brokerHeads` is not given.
 */
export async function serviceStatus(
  db: pg.Pool,
  logBackend: 'postgres' | 'kafka',
  consumers: string[],
  brokerHeads?: Map<string, bigint>,
): Promise<ServiceStatus> {
  const lag = await db.query<{
    consumer: string;
    handled: string;
    updated_at: Date | null;
    behind: string;
    oldest: Date | null;
  }>(logBackend === 'postgres' ? POSTGRES_LAG : KAFKA_LAG, [consumers]);
  const byName = new Map(lag.rows.map((r) => [r.consumer, r]));
  if (logBackend === 'kafka' && brokerHeads) {
    // Events behind the broker's high-water marks: the true head, whoever produced to it.
    const { rows } = await db.query<{ consumer_name: string; key: string; next_offset: string }>(
      `SELECT consumer_name, topic || '/' || partition AS key, next_offset FROM kafka_offsets
        WHERE consumer_name = ANY($1)`,
      [consumers],
    );
    for (const consumer of consumers) {
      let behind = 0n;
      for (const [key, high] of brokerHeads) {
        const next = rows.find((r) => r.consumer_name === consumer && r.key === key);
        const gap = high - BigInt(next?.next_offset ?? 0);
        if (gap > 0n) behind += gap;
      }
      const row = byName.get(consumer);
      if (row) row.behind = behind.toString();
    }
  }
  const outbound = await db.query<{ state: string; n: number }>(
    `SELECT CASE WHEN status = 'pending' AND deferred_until IS NOT NULL AND next_attempt_at > now() THEN 'deferred'
                 WHEN status = 'pending' AND attempts > 0 THEN 'retrying'
                 ELSE status END AS state, count(*)::int AS n
       FROM outbound_messages
      WHERE status IN ('pending', 'sending') OR (status = 'failed' AND updated_at > now() - interval '7 days')
      GROUP BY 1`,
  );
  const timers = await db.query<{ waiting: number; overdue: number }>(
    `SELECT count(*)::int AS waiting, count(*) FILTER (WHERE due_at <= now())::int AS overdue
       FROM timers WHERE fired_at IS NULL`,
  );
  const now = Date.now();
  return {
    logBackend,
    consumers: consumers.map((consumer) => {
      const r = byName.get(consumer);
      return {
        consumer,
        eventsBehind: Number(r?.behind ?? 0),
        secondsBehind: r?.oldest ? Math.max(0, Math.round((now - r.oldest.getTime()) / 1000)) : 0,
        eventsHandled: Number(r?.handled ?? 0),
        checkpointAt: r?.updated_at?.toISOString() ?? null,
      };
    }),
    outbound: Object.fromEntries(outbound.rows.map((r) => [r.state, r.n])),
    timers: timers.rows[0] ?? { waiting: 0, overdue: 0 },
    horizon: logBackend === 'postgres' ? await horizonStatus(db) : null,
  };
}
