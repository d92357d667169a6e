import type { Admin } from 'kafkajs';
import type { ConsumerPositions } from '../consumer-positions.ts';

/**
 * {@link ConsumerPositions} of the Kafka log: per-partition rows of `kafka_offsets`; the head
 * is Leadline's registry of appends; readers are the members of the consumer group
 * `<groupPrefix>.<name>`.
 */
export function kafkaPositions(admin: Admin, groupPrefix: string): ConsumerPositions {
  return {
    async lock(db, name) {
      await db.query('SELECT 1 FROM kafka_offsets WHERE consumer_name = $1 FOR UPDATE', [name]);
    },
    async same(db, a, b) {
      const { rows } = await db.query<{ differ: string }>(
        `SELECT count(*) AS differ FROM
           (SELECT topic, partition, next_offset FROM kafka_offsets WHERE consumer_name = $1) x
           FULL JOIN (SELECT topic, partition, next_offset FROM kafka_offsets WHERE consumer_name = $2) y
             USING (topic, partition)
          WHERE COALESCE(x.next_offset, 0) <> COALESCE(y.next_offset, 0)`,
        [a, b],
      );
      return Number(rows[0]!.differ) === 0;
    },
    async copy(db, from, to) {
      await db.query(
        `INSERT INTO kafka_offsets (consumer_name, topic, partition, next_offset)
         SELECT $2, topic, partition, next_offset FROM kafka_offsets WHERE consumer_name = $1
         ON CONFLICT (consumer_name, topic, partition) DO UPDATE
           SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
        [from, to],
      );
    },
    async forget(db, name) {
      await db.query('DELETE FROM kafka_offsets WHERE consumer_name = $1', [name]);
      await admin.deleteGroups([`${groupPrefix}.${name}`]).catch(() => {});
    },
    async handled(db, name) {
      const { rows } = await db.query<{ n: string | null }>(
        'SELECT sum(events_handled) AS n FROM kafka_offsets WHERE consumer_name = $1',
        [name],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async describe(db, name) {
      const { rows } = await db.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset FROM kafka_offsets WHERE consumer_name = $1
          ORDER BY topic, partition`,
        [name],
      );
      if (rows.length === 0) return null;
      return rows.map((r) => `${r.topic}/${r.partition}@${r.next_offset}`).join(' ');
    },
    async total(db) {
      // Every event landed (a copy produced by a takeover counts, as its consumers handle it).
      const { rows } = await db.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM kafka_appends WHERE state = 'appended')
              + COALESCE((SELECT sum(cardinality(event_ids)) FROM kafka_append_landings), 0) AS n`,
      );
      return Number(rows[0]!.n);
    },
    async activeReaders(_db, name) {
      const { groups } = await admin.describeGroups([`${groupPrefix}.${name}`]);
      return groups[0]?.members.length ?? 0;
    },
    async holdReaders(names) {
      const groups = names.map((name) => `${groupPrefix}.${name}`);
      const described = await admin.describeGroups(groups);
      const active = described.groups.find((g) => g.members.length > 0);
      if (active) {
        return {
          held: false,
          busy: `a Leadline worker is reading this Kafka log (consumer group ${active.groupId} has members)`,
        };
      }
      // Kafka cannot keep a member from joining later: this only checks.
      return { held: true, release: async () => {} };
    },
  };
}
