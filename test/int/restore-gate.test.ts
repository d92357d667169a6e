import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTenant } from '../../src/commands/register-tenant.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { verifyBackup } from '../../src/runtime/backup/restore.ts';
import { writeBackup } from '../../src/runtime/backup/write-backup.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { contractEvent } from '../../harness/sample-events.ts';
import { createTestDatabase } from '../support/database.ts';

/**
 * A restore starts the processors once the tenants projection has handled the last tenant
 * event of the backup: the check of the file finds, per event type, the last event of that
 * type and where it stands among the event lines.
 */
describe('restore: the check of a backup finds the last event of each type', () => {
  let work: string;
  let pool: pg.Pool;
  let log: PostgresEventLog;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'leadline-restore-gate-'));
    const url = await createTestDatabase();
    pool = new pg.Pool({ ...clientConfig(url), max: 4 });
    log = await PostgresEventLog.open({ url, pool, log: silentLogger });
  });
  afterAll(async () => {
    await log?.close();
    await pool?.end();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('names the last event of each type with its place among the events, 1-based', async () => {
    const events = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => contractEvent(`lead:gate:+1647555${1000 + i}`, from + i));
    await log.append(events(12_000, 0)); // more than one batch of the check (10,000)
    await registerTenant(
      {
        name: 'Late Plumbing',
        twilioNumber: '+14165550142',
        ownerPhone: '+14165550143',
        timezone: 'America/Toronto',
      },
      { log, db: pool, clock: systemClock },
    );
    await log.append(events(5, 12_000));
    const snapshot = await log.snapshot();
    const written = await writeBackup(snapshot, work).finally(() => snapshot.close());
    const inOrder: RecordedLeadlineEvent[] = [];
    const all = await log.snapshot();
    try {
      for await (const event of all.read()) inOrder.push(event);
    } finally {
      await all.close();
    }

    const { lastOfType, summary } = await verifyBackup(written.file);

    expect(summary.events).toBe(12_006);
    const tenant = inOrder.findIndex((event) => event.type === 'TenantRegistered');
    expect(lastOfType.get('TenantRegistered')).toEqual({
      ordinal: tenant + 1,
      id: inOrder[tenant]!.id,
    });
    expect(lastOfType.get('OutboundSmsStatusUpdated')).toEqual({
      ordinal: 12_006,
      id: inOrder[12_005]!.id,
    });
    expect([...lastOfType.keys()].sort()).toEqual(['OutboundSmsStatusUpdated', 'TenantRegistered']);
  });
});
