import type pg from 'pg';

/**
 * Runs `insert` (an `INSERT …` without `RETURNING`, its parameters `values`) and, in the same
 * statement, `NOTIFY`s `channel` (empty payload) when it inserted or updated any row: one round
 * trip where an insert and a separate `SELECT pg_notify(…)` took two. Inside a transaction the
 * notification is delivered on commit, as any `NOTIFY` is (PostgreSQL docs, `NOTIFY`).
 * @returns how many rows the insert wrote.
 * @throws pg's errors for the insert, unchanged (then nothing is notified).
 */
export async function insertNotifying(
  db: pg.ClientBase,
  insert: string,
  values: unknown[],
  channel: string,
): Promise<number> {
  const { rows } = await db.query<{ written: number }>(
    `WITH written AS (${insert} RETURNING 1)
     SELECT (SELECT count(*) FROM written)::int AS written, pg_notify($${values.length + 1}, '')
       FROM (SELECT 1 FROM written LIMIT 1) AS any_row`,
    [...values, channel],
  );
  return rows[0]?.written ?? 0;
}
