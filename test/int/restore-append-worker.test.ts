import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { appendInWorker } from '../../src/runtime/backup/append-backup.ts';
import { writeBackup } from '../../src/runtime/backup/write-backup.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { contractEvent } from '../../harness/sample-events.ts';
import { createTestDatabase } from '../support/database.ts';

/**
 * A restore appends in a worker thread of its own (its own connections and log adapter):
 * what it writes, what it reports, and that its failures reach the restore with their reason.
 */
describe('restore: the append in a worker thread', () => {
  const EVENTS = 25;
  let work: string;
  let file: string;
  let backupId: string;
  let target: string;
  let targetPool: pg.Pool;
  const count = async () =>
    Number((await targetPool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
  const append = (databaseUrl: string, id = backupId) => {
    const progress: number[] = [];
    const outcome = appendInWorker(
      {
        config: loadConfig({ DATABASE_URL: databaseUrl, LOG_BACKEND: 'postgres' }),
        databaseUrl,
        logLevel: 'silent',
        file,
        backupId: id,
        batchSize: 10,
      },
      (done) => progress.push(done),
    );
    return { outcome, progress };
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'leadline-append-worker-'));
    const source = await createTestDatabase();
    const pool = new pg.Pool({ ...clientConfig(source), max: 4 });
    const log = await PostgresEventLog.open({ url: source, pool, log: silentLogger });
    try {
      await log.append(
        Array.from({ length: EVENTS }, (_, i) => contractEvent(`lead:t1:+1647555${1000 + i}`, i)),
      );
      const snapshot = await log.snapshot();
      const written = await writeBackup(snapshot, work).finally(() => snapshot.close());
      file = written.file;
      backupId = written.header.backupId;
    } finally {
      await log.close();
      await pool.end();
    }
    target = await createTestDatabase();
    targetPool = new pg.Pool({ ...clientConfig(target), max: 2 });
  });
  afterAll(async () => {
    await targetPool?.end();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('appends every event in batches, reporting progress, and none twice when run again', async () => {
    const first = append(target);
    expect(await first.outcome).toEqual({ appended: EVENTS, duplicates: 0, unsubscribeLinks: 0 });
    expect(first.progress).toEqual([10, 20, 25]);
    expect(await count()).toBe(EVENTS);

    const again = append(target);
    expect(await again.outcome).toEqual({ appended: 0, duplicates: EVENTS, unsubscribeLinks: 0 });
    expect(await count()).toBe(EVENTS);
  });

  it('runs from any working directory (`leadline restore` in the backups folder)', async () => {
    const elsewhere = await createTestDatabase();
    const cwd = process.cwd();
    process.chdir(work);
    try {
      expect(await append(elsewhere).outcome).toEqual({
        appended: EVENTS,
        duplicates: 0,
        unsubscribeLinks: 0,
      });
    } finally {
      process.chdir(cwd);
    }
  });

  it('fails with the reason when the file is not the backup that was checked, writing nothing', async () => {
    const before = await count();
    await expect(append(target, '00000000-0000-4000-8000-000000000000').outcome).rejects.toThrow(
      `${file} changed during the restore`,
    );
    expect(await count()).toBe(before);
  });

  it('fails with the reason when the database cannot be reached', async () => {
    const closed = new URL(target);
    closed.port = '1';
    await expect(append(closed.toString()).outcome).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
