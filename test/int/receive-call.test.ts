import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceUrls } from '../../src/api/voice-urls.ts';
import { CallSteps } from '../../src/commands/call-steps.ts';
import { receiveCall } from '../../src/commands/receive-call.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import type { E164 } from '../../src/shared/phone.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import { testTenant } from '../support/tenant-fixture.ts';
import { createTestDatabase } from '../support/database.ts';

const tenant: Tenant = testTenant({
  tenantId: 't-boundary',
  name: 'Boundary Plumbing',
  twilioNumber: '+14165550160' as E164,
  ownerPhone: '+14165550169' as E164,
  timezone: 'UTC',
});

describe('a Twilio retry of the voice webhook across the business-hours boundary', () => {
  let pool: pg.Pool;
  let log: PostgresEventLog;

  beforeAll(async () => {
    const url = await createTestDatabase();
    pool = new pg.Pool(clientConfig(url));
    log = await PostgresEventLog.open({ url, pool, log: silentLogger });
  });
  afterAll(async () => {
    await log.close();
    await pool.end();
  });

  it('is answered as the first delivery was, and the log holds that one answer', async () => {
    const call = {
      callSid: 'CA' + 'b'.repeat(32),
      from: '+16475550199' as E164,
      to: tenant.twilioNumber,
      callStatus: 'ringing',
    };
    const callSteps = new CallSteps(pool);
    const deps = (at: string) => ({
      log,
      db: pool,
      callSteps,
      clock: fixedClock(at),
      urls: voiceUrls('https://x.example', tenant.tenantId, call.callSid, call.from),
    });
    const first = await receiveCall(tenant, call, deps('2026-06-01T16:59:59Z'));
    const retry = await receiveCall(tenant, call, deps('2026-06-01T17:00:02Z'));
    expect(first).toContain('<Dial');
    expect(retry).toBe(first);
    const events = await log.read(leadStreamId(tenant.tenantId, call.from));
    expect(events.filter((e) => e.type === 'CallReceived').map((e) => e.data.action)).toEqual([
      'ring-owner',
    ]);
  });
});
