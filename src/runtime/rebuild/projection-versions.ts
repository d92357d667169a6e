import type pg from 'pg';

/** The version of `consumer`'s state that serves readers: 1 until a rebuild switched to another. */
export async function servingVersion(
  db: pg.ClientBase | pg.Pool,
  consumer: string,
): Promise<number> {
  const { rows } = await db.query<{ version: number }>(
    'SELECT version FROM projection_versions WHERE consumer_name = $1',
    [consumer],
  );
  return rows[0]?.version ?? 1;
}
