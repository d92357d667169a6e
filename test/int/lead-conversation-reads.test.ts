import { describe, expect, it } from 'vitest';
import { registerTenant } from '../../src/commands/register-tenant.ts';
import { leadConversationProcessor } from '../../src/processors/lead-conversation/processor.ts';
import {
  tenantDirectory,
  tenantDocsSql,
  tenantFromDoc,
} from '../../src/projections/tenants/tenant-directory.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { contractEvent } from '../../harness/sample-events.ts';
import { useTestLogDatabase } from '../support/database.ts';

/**
 * The lead-conversation processor reads its batch's tenants and lead states in one statement,
 * the tenants as `jsonb` documents (`tenantDocsSql`) rather than through the directory's own
 * row query: every field must come back as the directory gives it, and a lead whose tenant
 * the tenants projection does not hold yet must still stop the batch.
 */
describe('the lead-conversation processor’s one read of tenants and lead states', () => {
  const db = useTestLogDatabase();

  it('gives each tenant exactly as the tenant directory does, every setting included', async () => {
    const { pool, log } = db;
    const { tenant } = await registerTenant(
      {
        name: 'Ünïcode Plumbing & "Drains"',
        twilioNumber: '+14165550100',
        ownerPhone: '+14165550199',
        timezone: 'America/Toronto',
        businessHours: '07:00-17:00',
        weeklyHours: 'mon-fri=07:00-17:00,sat=09:00-12:00,sun=closed',
        closedDates: '2026-12-25,2027-01-01',
        emergencyPhone: '+14165550111',
        staffPhones: '+14165550122,+14165550133',
        dailyQuota: 250,
        ownerAlertCap: 30,
        voicemailThresholdSeconds: 25,
        quietHoursAllowed: '09:00-20:00',
      },
      { log, db: pool, clock: fixedClock('2026-05-01T12:00:00Z') },
    );
    const { tenant: plain } = await registerTenant(
      {
        name: 'Plain Drains',
        twilioNumber: '+14165550200',
        ownerPhone: '+14165550299',
        timezone: 'UTC',
      },
      { log, db: pool, clock: fixedClock('2026-05-01T12:00:00Z') },
    );
    const { rows } = await pool.query<{ doc: unknown }>(tenantDocsSql('$1'), [
      [tenant.tenantId, plain.tenantId, 'no-such-tenant'],
    ]);
    const read = new Map(rows.map((r) => tenantFromDoc(r.doc)).map((t) => [t.tenantId, t]));
    expect([...read.keys()].sort()).toEqual([tenant.tenantId, plain.tenantId].sort());
    expect(read.get(tenant.tenantId)).toEqual(await tenantDirectory.get(pool, tenant.tenantId));
    expect(read.get(plain.tenantId)).toEqual(await tenantDirectory.get(pool, plain.tenantId));
    // The settings the directory gives are the ones registered, not defaults.
    expect(read.get(tenant.tenantId)).toMatchObject({
      name: 'Ünïcode Plumbing & "Drains"',
      emergencyPhone: '+14165550111',
      dailyQuota: 250,
      staffPhones: ['+14165550122', '+14165550133'],
    });
  });

  it('stops a batch whose lead belongs to a tenant not in the tenants projection yet, naming the event', async () => {
    const { pool, log } = db;
    const stream = 'lead:tenant-not-projected:+14165550123';
    await log.append([contractEvent(stream, 1)]);
    const [event] = await log.read(stream);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await expect(
        leadConversationProcessor.handleBatch!([event!], {
          db: client,
          replay: false,
          log: silentLogger,
        }),
      ).rejects.toThrow(
        `tenant tenant-not-projected of OutboundSmsStatusUpdated ${event!.id} is not in the tenants projection yet`,
      );
      await client.query('ROLLBACK');
      const { rows } = await pool.query('SELECT 1 FROM lead_states WHERE tenant_id = $1', [
        'tenant-not-projected',
      ]);
      expect(rows).toEqual([]);
    } finally {
      client.release();
    }
  });
});
