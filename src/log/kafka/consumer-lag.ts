import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { toConsumerLags, type ConsumerLag, type MeasuredLag } from '../consumer-lag.ts';

// Counts and times from the consumers' rows, and the age of the oldest event each has not
// handled from what Leadline appended: the runs of `kafka_append_landings` (when each landed),
// and claim rows settled before landings were recorded (when each was claimed).
const REGISTRY_LAG = `
  WITH landed AS (
    SELECT topic, partition, "offset" AS base, 1 AS size, claimed_at AS at
      FROM kafka_appends WHERE state = 'appended'
    UNION ALL
    SELECT r.topic, r.partition, r.base, r.size, l.landed_at
      FROM kafka_append_landings l,
           unnest(l.topics, l.partitions, l.base_offsets, l.sizes) AS r(topic, partition, base, size))
  SELECT c.name AS consumer,
         COALESCE((SELECT sum(events_handled) FROM kafka_offsets o WHERE o.consumer_name = c.name), 0)::bigint AS handled,
         (SELECT max(updated_at) FROM kafka_offsets o WHERE o.consumer_name = c.name) AS updated_at,
         min(x.at) AS oldest
    FROM unnest($1::text[]) c(name)
    LEFT JOIN landed x ON x.base + x.size > COALESCE(
      (SELECT o.next_offset FROM kafka_offsets o
        WHERE o.consumer_name = c.name AND o.topic = x.topic AND o.partition = x.partition), 0)
   GROUP BY c.name`;

/**
 * The brokers' high-water mark of every partition of `topics`, by `topic/partition`: the true
 * head of the log, whoever produced to it.
 * @throws Error when the brokers cannot be reached.
 */
export async function brokerHeads(admin: Admin, topics: string[]): Promise<Map<string, bigint>> {
  const heads = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      heads.set(`${topic}/${p.partition}`, BigInt(p.high)); // offsets, not events: bigint
    }
  }
  return heads;
}

/**
 * Each consumer's lag on the Kafka log (see `EventLog.consumerLag`): events behind are
 * counted from its `kafka_offsets` rows up to the brokers' high-water marks of `topics`;
 * events handled, the checkpoint's time and the age of the oldest unhandled event come from
 * those rows and Leadline's registry of appends (`kafka_append_landings`, `kafka_appends`).
 * @throws Error when the database or the brokers cannot be reached.
 */
export async function kafkaConsumerLag(
  db: pg.Pool,
  admin: Admin,
  topics: string[],
  consumers: readonly string[],
): Promise<ConsumerLag[]> {
  const names = [...consumers];
  const lag = await db.query<{
    consumer: string;
    handled: string;
    updated_at: Date | null;
    oldest: Date | null;
  }>(REGISTRY_LAG, [names]);
  const heads = await brokerHeads(admin, topics);
  const positions = await nextOffsets(db, names);
  const measured: MeasuredLag[] = lag.rows.map((r) => ({
    consumer: r.consumer,
    handled: r.handled,
    updatedAt: r.updated_at,
    behind: eventsBehind(heads, positions.get(r.consumer)).toString(),
    oldest: r.oldest,
  }));
  return toConsumerLags(consumers, measured);
}

/**
 * Whether `consumer` has handled everything the brokers hold in `topics` now (see
 * `EventLog.hasReached` on Kafka): its `kafka_offsets` rows against the high-water marks,
 * without the registry's ages. False for a consumer that never ran.
 * @throws Error when the database or the brokers cannot be reached.
 */
export async function kafkaCaughtUp(
  db: pg.Pool,
  admin: Admin,
  topics: string[],
  consumer: string,
): Promise<boolean> {
  const heads = await brokerHeads(admin, topics);
  const next = (await nextOffsets(db, [consumer])).get(consumer);
  return next !== undefined && eventsBehind(heads, next) === 0n;
}

/**
 * Each named consumer's stored next offset by `topic/partition` (`kafka_offsets`); a consumer
 * that never ran is absent.
 */
async function nextOffsets(
  db: pg.Pool,
  consumers: string[],
): Promise<Map<string, Map<string, bigint>>> {
  const { rows } = await db.query<{ consumer_name: string; key: string; next_offset: string }>(
    `SELECT consumer_name, topic || '/' || partition AS key, next_offset FROM kafka_offsets
      WHERE consumer_name = ANY($1)`,
    [consumers],
  );
  const byConsumer = new Map<string, Map<string, bigint>>();
  for (const r of rows) {
    const next = byConsumer.get(r.consumer_name) ?? new Map<string, bigint>();
    next.set(r.key, BigInt(r.next_offset));
    byConsumer.set(r.consumer_name, next);
  }
  return byConsumer;
}

/**
 * Events between each partition's stored next offset (0 when none) and its high-water mark in
 * `heads`, summed over the partitions.
 */
function eventsBehind(heads: Map<string, bigint>, next: Map<string, bigint> | undefined): bigint {
  let behind = 0n;
  for (const [key, high] of heads) {
    const gap = high - (next?.get(key) ?? 0n);
    if (gap > 0n) behind += gap;
  }
  return behind;
}
