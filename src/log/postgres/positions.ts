import type { Logger } from '../../shared/logger.ts';
import type { ConsumerPositions } from '../consumer-positions.ts';
import { holdPostgresReaders } from './reader-hold.ts';
import { readerLockKey } from './reader-lock.ts';

/**
 * How many events apart two positions of a consumer that acts on a few types may be and still
 * be judged the same by {@link ConsumerPositions.same} (such a consumer trails the head by
 * about 200 ms of appends while it has nothing to do).
 */
const SAME_SCAN_LIMIT = 10_000;

/**
 * {@link ConsumerPositions} of the PostgreSQL log: rows of `consumer_checkpoints`; readers
 * are holders of a consumer's advisory lock. `url` is the log's database, for the dedicated
 * connection of {@link ConsumerPositions.holdReaders}.
 */
export const postgresPositions = (url: string, log: Logger): ConsumerPositions => ({
  async lock(db, name) {
    await db.query('SELECT 1 FROM consumer_checkpoints WHERE consumer_name = $1 FOR UPDATE', [
      name,
    ]);
  },
  async same(db, a, b, types) {
    // The events between the two, either way round (one of the two ranges is empty), at most
    // SAME_SCAN_LIMIT + 1 of them in log order: an index range scan, bounded however far
    // apart the positions are (the caller may hold the serving tables' locks meanwhile).
    // Farther apart than that counts as not the same.
    const noneBetween = (from: string, to: string) =>
      `(SELECT count(*) <= ${SAME_SCAN_LIMIT} AND NOT coalesce(bool_or(g.type = ANY($3::text[])), false)
          FROM (SELECT e.type FROM events e
                 WHERE (e.epoch, e.transaction_id, e.position) > (${from}.epoch, ${from}.transaction_id, ${from}.position)
                   AND (e.epoch, e.transaction_id, e.position) <= (${to}.epoch, ${to}.transaction_id, ${to}.position)
                 ORDER BY e.epoch, e.transaction_id, e.position
                 LIMIT ${SAME_SCAN_LIMIT + 1}) g)`;
    const { rows } = await db.query<{ same: boolean }>(
      `SELECT CASE
                WHEN (x.epoch, x.transaction_id, x.position) IS NOT DISTINCT FROM (y.epoch, y.transaction_id, y.position) THEN true
                WHEN $3::text[] IS NULL OR x.epoch IS NULL OR y.epoch IS NULL THEN false
                ELSE ${noneBetween('x', 'y')} AND ${noneBetween('y', 'x')}
              END AS same
         FROM (SELECT 1) one
         LEFT JOIN consumer_checkpoints x ON x.consumer_name = $1
         LEFT JOIN consumer_checkpoints y ON y.consumer_name = $2`,
      [a, b, types ? [...types] : null],
    );
    return rows[0]!.same;
  },
  async copy(db, from, to) {
    await db.query(
      `INSERT INTO consumer_checkpoints (consumer_name, epoch, transaction_id, position, events_handled)
       SELECT $2, epoch, transaction_id, position, 0 FROM consumer_checkpoints WHERE consumer_name = $1
       ON CONFLICT (consumer_name) DO UPDATE SET epoch = EXCLUDED.epoch,
         transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()`,
      [from, to],
    );
  },
  async forget(db, name) {
    await db.query('DELETE FROM consumer_checkpoints WHERE consumer_name = $1', [name]);
  },
  async handled(db, name) {
    const { rows } = await db.query<{ n: string }>(
      'SELECT events_handled AS n FROM consumer_checkpoints WHERE consumer_name = $1',
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  },
  async describe(db, name) {
    const { rows } = await db.query<{ position: string }>(
      'SELECT position FROM consumer_checkpoints WHERE consumer_name = $1',
      [name],
    );
    return rows[0]?.position ?? null;
  },
  async total(db) {
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM events');
    return Number(rows[0]!.n);
  },
  async activeReaders(db, name) {
    const { rows } = await db.query<{ free: boolean }>(
      'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS free',
      [readerLockKey(name)],
    );
    return rows[0]!.free ? 0 : 1;
  },
  holdReaders: (names) => holdPostgresReaders(url, names, log),
});
