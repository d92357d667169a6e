import type { Logger } from '../../shared/logger.ts';
import type { ConsumerPositions } from '../consumer-positions.ts';
import { holdPostgresReaders } from './reader-hold.ts';
import { readerLockKey } from './reader-lock.ts';

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
    // Between the two, either way round: two index range scans of `events`, each as short as
    // the distance between the positions.
    const between = (from: string, to: string) =>
      `EXISTS (SELECT 1 FROM events e
                WHERE (e.epoch, e.transaction_id, e.position) > (${from}.epoch, ${from}.transaction_id, ${from}.position)
                  AND (e.epoch, e.transaction_id, e.position) <= (${to}.epoch, ${to}.transaction_id, ${to}.position)
                  AND e.type = ANY($3::text[]))`;
    const { rows } = await db.query<{ same: boolean }>(
      `SELECT CASE
                WHEN (x.epoch, x.transaction_id, x.position) IS NOT DISTINCT FROM (y.epoch, y.transaction_id, y.position) THEN true
                WHEN $3::text[] IS NULL OR x.epoch IS NULL OR y.epoch IS NULL THEN false
                ELSE NOT ${between('x', 'y')} AND NOT ${between('y', 'x')}
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
