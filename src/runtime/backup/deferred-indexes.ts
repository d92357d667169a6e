import type pg from 'pg';
import { withTransaction } from '../../db/transaction.ts';

/**
 * Drops the `public` indexes named in `names` that exist, for a restore's replay into empty
 * read models (`ConsumerSpec.readerIndexes`: indexes the consumers never use themselves),
 * recording their definitions in the restore's `restore_runs` row in the same transaction.
 * A restore resumed after that (definitions already recorded) drops nothing more.
 * @returns how many indexes were dropped now.
 */
export async function deferReaderIndexes(
  pool: pg.Pool,
  backupId: string,
  names: readonly string[],
): Promise<number> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ deferred: string[] | null }>(
      'SELECT deferred_indexes AS deferred FROM restore_runs WHERE backup_id = $1 FOR UPDATE',
      [backupId],
    );
    if (!rows[0] || rows[0].deferred !== null) return 0;
    const { rows: indexes } = await tx.query<{ name: string; definition: string }>(
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
        WHERE schemaname = 'public' AND indexname = ANY($1::text[]) ORDER BY indexname`,
      [names],
    );
    await tx.query('UPDATE restore_runs SET deferred_indexes = $2 WHERE backup_id = $1', [
      backupId,
      indexes.map((index) => index.definition),
    ]);
    // Names come from pg_indexes (plain identifiers of our migrations), quoted all the same.
    for (const index of indexes) {
      await tx.query(`DROP INDEX public."${index.name.replaceAll('"', '""')}"`);
    }
    return indexes.length;
  });
}

/**
 * Builds the indexes {@link deferReaderIndexes} dropped for the restore of `backupId`, each
 * in one pass over its finished table, and clears the record. Idempotent: an index already
 * there (a run interrupted while building them) is left as it is.
 * @returns how many definitions were built.
 */
export async function buildDeferredIndexes(pool: pg.Pool, backupId: string): Promise<number> {
  const { rows } = await pool.query<{ deferred: string[] | null }>(
    'SELECT deferred_indexes AS deferred FROM restore_runs WHERE backup_id = $1',
    [backupId],
  );
  const definitions = rows[0]?.deferred ?? [];
  for (const definition of definitions) {
    await pool.query(
      definition.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS '),
    );
  }
  await pool.query('UPDATE restore_runs SET deferred_indexes = NULL WHERE backup_id = $1', [
    backupId,
  ]);
  return definitions.length;
}
