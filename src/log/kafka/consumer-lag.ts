import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { toConsumerLags, type ConsumerLag, type MeasuredLag } from '../consumer-lag.ts';

// Ages and counts from what Leadline appended (its registry of appends), per partition.
const REGISTRY_LAG = `
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
 * those rows and Leadline's registry of appends (`kafka_appends`).
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
    behind: string;
    oldest: Date | null;
  }>(REGISTRY_LAG, [names]);
  const heads = await brokerHeads(admin, topics);
  const { rows } = await db.query<{ consumer_name: string; key: string; next_offset: string }>(
    `SELECT consumer_name, topic || '/' || partition AS key, next_offset FROM kafka_offsets
      WHERE consumer_name = ANY($1)`,
    [names],
  );
  const measured: MeasuredLag[] = lag.rows.map((r) => {
    let behind = 0n;
    for (const [key, high] of heads) {
      const next = rows.find((o) => o.consumer_name === r.consumer && o.key === key);
      const gap = high - BigInt(next?.next_offset ?? 0);
      if (gap > 0n) behind += gap;
    }
    return {
      consumer: r.consumer,
      handled: r.handled,
      updatedAt: r.updated_at,
      behind: behind.toString(),
      oldest: r.oldest,
    };
  });
  return toConsumerLags(consumers, measured);
}
