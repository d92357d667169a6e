import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import {
  buildDeferredIndexes,
  deferReaderIndexes,
} from '../../src/runtime/backup/deferred-indexes.ts';
import { consumerSpecs } from '../../src/runtime/consumers.ts';
import { createTestDatabase } from '../support/database.ts';

/**
 * A restore's replay drops the indexes only readers use and builds them at its end; an
 * interrupted restore, resumed, must still end with every one of them, as migrations made
 * them.
 */
describe('restore: reader indexes deferred to the end of the replay', () => {
  let pool: pg.Pool;
  const readerIndexes = consumerSpecs.flatMap((spec) => spec.readerIndexes ?? []);
  const definitions = async () =>
    (
      await pool.query<{ name: string; definition: string }>(
        `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
          WHERE schemaname = 'public' AND indexname = ANY($1::text[]) ORDER BY indexname`,
        [readerIndexes],
      )
    ).rows;
  const restoreRun = async () => {
    const backupId = randomUUID();
    await pool.query(
      `INSERT INTO restore_runs (backup_id, file_name, source_log, events)
       VALUES ($1, 'leadline-test.ndjson.gz', 'postgres', 0)`,
      [backupId],
    );
    return backupId;
  };

  beforeAll(async () => {
    pool = new pg.Pool({ ...clientConfig(await createTestDatabase()), max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('drops them once, keeps their definitions, and builds exactly them again', async () => {
    const before = await definitions();
    expect(before.map((index) => index.name).sort()).toEqual([...readerIndexes].sort());
    const backupId = await restoreRun();

    expect(await deferReaderIndexes(pool, backupId, readerIndexes)).toBe(readerIndexes.length);
    expect(await definitions()).toEqual([]);
    // Resumed after the drop: nothing more to drop, the definitions are still recorded.
    expect(await deferReaderIndexes(pool, backupId, readerIndexes)).toBe(0);

    expect(await buildDeferredIndexes(pool, backupId)).toBe(readerIndexes.length);
    expect(await definitions()).toEqual(before);
    const { rows } = await pool.query(
      'SELECT deferred_indexes FROM restore_runs WHERE backup_id = $1',
      [backupId],
    );
    expect(rows[0].deferred_indexes).toBeNull();
  });

  it('a build interrupted half way is finished by the next, leaving the ones already built', async () => {
    const before = await definitions();
    const backupId = await restoreRun();
    await deferReaderIndexes(pool, backupId, readerIndexes);
    // The interrupted run had built the first one before it stopped.
    const { rows } = await pool.query<{ deferred: string[] }>(
      'SELECT deferred_indexes AS deferred FROM restore_runs WHERE backup_id = $1',
      [backupId],
    );
    await pool.query(rows[0]!.deferred[0]!);

    expect(await buildDeferredIndexes(pool, backupId)).toBe(readerIndexes.length);
    expect(await definitions()).toEqual(before);
  });
});
