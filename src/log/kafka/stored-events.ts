import type { Admin } from 'kafkajs';
import type pg from 'pg';

/**
 * Events the Kafka log holds (see `EventLog.storedEvents`): the records in `topics` (high
 * minus low water mark of every partition; a missing topic holds none) or the appends in
 * Leadline's registry (`kafka_appends`, claimed or appended), whichever is more.
 * @throws Error when the database or the brokers cannot be reached.
 */
export async function kafkaStoredEvents(
  db: pg.Pool,
  admin: Admin,
  topics: string[],
): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM kafka_appends');
  const registered = Number(rows[0]!.n);
  const existing = new Set(await admin.listTopics());
  let inTopics = 0;
  for (const topic of topics) {
    if (!existing.has(topic)) continue;
    for (const o of await admin.fetchTopicOffsets(topic)) {
      inTopics += Number(o.high) - Number(o.low);
    }
  }
  return Math.max(registered, inTopics);
}
