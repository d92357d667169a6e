import type pg from 'pg';
import type { HorizonStatus } from '../log-horizon.ts';

/**
 * Held back this long (s), the PostgreSQL log's readers count as stalled: normal appends
 * hold readers back for milliseconds only (until the older writer commits).
 */
export const HORIZON_STALL_SECONDS = 5;

/**
 * Measures the PostgreSQL log's horizon: which committed events readers cannot see yet
 * because an older transaction is still open, and which transaction that probably is. The
 * horizon is server-wide: a transaction in another database of the same server holds the log
 * back too. Two short queries; the first is an index range scan of the newest epoch.
 */
export async function horizonStatus(db: pg.Pool | pg.ClientBase): Promise<HorizonStatus> {
  const held = await db.query<{ n: string; oldest: Date | null; now: Date }>(
    `SELECT count(*)::bigint AS n, min(recorded_at) AS oldest, clock_timestamp() AS now
       FROM events
      WHERE epoch = (SELECT max(epoch) FROM events)
        AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`,
  );
  const oldest = await db.query<{
    pid: number;
    datname: string | null;
    application_name: string | null;
    state: string | null;
    age: number | null;
  }>(
    `SELECT pid, datname, application_name, state,
            EXTRACT(EPOCH FROM clock_timestamp() - xact_start)::float8 AS age
       FROM pg_stat_activity
      WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
      ORDER BY age(backend_xid) DESC
      LIMIT 1`,
  );
  const row = held.rows[0]!;
  const heldBackEvents = Number(row.n);
  const heldBackSeconds = row.oldest
    ? Math.max(0, (row.now.getTime() - row.oldest.getTime()) / 1000)
    : 0;
  const tx = oldest.rows[0];
  return {
    heldBackEvents,
    heldBackSeconds: Math.round(heldBackSeconds * 10) / 10,
    stalled: heldBackEvents > 0 && heldBackSeconds >= HORIZON_STALL_SECONDS,
    oldestTransaction: tx
      ? {
          pid: tx.pid,
          database: tx.datname,
          application: tx.application_name,
          state: tx.state,
          ageSeconds: Math.round((tx.age ?? 0) * 10) / 10,
        }
      : null,
  };
}
