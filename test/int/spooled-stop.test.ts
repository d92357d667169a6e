import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveSms } from '../../src/commands/receive-sms.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import { DatabaseReach } from '../../src/db/reach.ts';
import { Intake } from '../../src/intake/intake.ts';
import { Spool } from '../../src/intake/spool.ts';
import type { EventLog } from '../../src/log/event-log.ts';
import { isOptedOut } from '../../src/consent/index.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import type { E164 } from '../../src/shared/phone.ts';
import { createTestDatabase } from '../support/database.ts';
import { testTenant } from '../support/tenant-fixture.ts';

/** The log away (a Kafka broker down) while PostgreSQL, and so the sender, are up. */
const unreachableLog = {
  append: async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), {
      name: 'KafkaJSConnectionError',
    });
  },
} as unknown as EventLog;

describe('a STOP spooled while the log is away still stops texts at once', () => {
  let pool: pg.Pool;
  let dir: string;
  beforeAll(async () => {
    pool = new pg.Pool(clientConfig(await createTestDatabase()));
    dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-spool-'));
  });
  afterAll(async () => {
    await pool?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('the consent gate the sender checks says opted out before the STOP reaches the log', async () => {
    const spool = await Spool.open(dir, { maxBytes: 1024 * 1024 });
    const intake = new Intake({
      log: unreachableLog,
      spool,
      appendDeadlineMs: 500,
      logger: silentLogger,
      recordStatus: async () => true,
    });
    const tenant = testTenant();
    const lead = '+16475550142' as E164;
    await receiveSms(
      tenant,
      {
        messageSid: 'SM' + 'c'.repeat(32),
        from: lead,
        to: tenant.twilioNumber,
        body: 'STOP',
        media: [],
        optOutType: null,
      },
      {
        log: intake.log,
        db: pool,
        clock: fixedClock('2026-11-27T12:00:00Z'),
        reach: new DatabaseReach({ logger: silentLogger }),
      },
    );
    expect(spool.pending()).toBe(1); // kept for the log
    expect(await isOptedOut(pool, tenant.tenantId, lead)).toBe(true); // and effective now
  });
});
