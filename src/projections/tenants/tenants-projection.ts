import type pg from 'pg';
import type { Consumer } from '../../log/event-log.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { tenantDirectory, tenantFromEvent } from './tenant-directory.ts';
import { TENANTS_CHANNEL } from './tenant-routing.ts';

/**
 * Projects `TenantRegistered` and `TenantConfigured` into the `tenants` table, which routes
 * webhooks by the Twilio number called and gives every processor the tenant's current
 * configuration. Idempotent: applying an event twice leaves the same row (a configuration
 * change sets fields to values, it never adds to them).
 */
export const tenantsProjection: Consumer = {
  name: 'projection:tenants',
  // Webhooks route from what `tenants add|update` write themselves, durably; this re-derives.
  asyncCommit: true,
  eventTypes: new Set(['TenantRegistered', 'TenantConfigured']),
  async handle(event, { db }) {
    if (event.type !== 'TenantRegistered' && event.type !== 'TenantConfigured') return;
    // `tenants add|update` apply this projection too (read-your-writes); serialise the two
    // writers of one tenant, or the second insert trips the twilio_number unique index.
    await db.query(
      "SELECT pg_advisory_xact_lock(hashtextextended('projection:tenants:' || $1, 0))",
      [event.data.tenantId],
    );
    if (event.type === 'TenantRegistered') {
      await writeTenant(db, tenantFromEvent(event.data), event.occurredAt);
      return;
    }
    const current = await tenantDirectory.get(db, event.data.tenantId);
    if (!current) {
      throw new Error(
        `TenantConfigured ${event.id} for unregistered tenant ${event.data.tenantId}`,
      );
    }
    await writeTenant(db, { ...current, ...event.data.changes } as Tenant, null);
  },
};

async function writeTenant(db: pg.ClientBase, t: Tenant, registeredAt: string | null) {
  const settings = {
    weeklyHours: t.weeklyHours,
    eveningUntil: t.eveningUntil,
    closedDates: t.closedDates,
    emergencyMode: t.emergencyMode,
    callScreening: t.callScreening,
    reviewLink: t.reviewLink,
    alertDebounceSeconds: t.alertDebounceSeconds,
    alertMaxWaitSeconds: t.alertMaxWaitSeconds,
    quietHoursAllowed: t.quietHoursAllowed,
    staffPhones: t.staffPhones,
    takeoverWindowSeconds: t.takeoverWindowSeconds,
    takeoverQuietHours: t.takeoverQuietHours,
    voicemail: t.voicemail,
    voicemailWaitSeconds: t.voicemailWaitSeconds,
    language: t.language,
    serviceArea: t.serviceArea,
    qualifyingQuestions: t.qualifyingQuestions,
  };
  await db.query(
    `INSERT INTO tenants (tenant_id, name, twilio_number, owner_phone, timezone, business_hours,
       emergency_phone, registered_at, voicemail_threshold_seconds, daily_quota, owner_alert_cap,
       settings)
     VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()), $9, $10, $11, $12)
     ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name,
       twilio_number = EXCLUDED.twilio_number, owner_phone = EXCLUDED.owner_phone,
       timezone = EXCLUDED.timezone, business_hours = EXCLUDED.business_hours,
       emergency_phone = EXCLUDED.emergency_phone,
       voicemail_threshold_seconds = EXCLUDED.voicemail_threshold_seconds,
       daily_quota = EXCLUDED.daily_quota, owner_alert_cap = EXCLUDED.owner_alert_cap,
       settings = EXCLUDED.settings`,
    [
      t.tenantId,
      t.name,
      t.twilioNumber,
      t.ownerPhone,
      t.timezone,
      JSON.stringify(t.businessHours),
      t.emergencyPhone,
      registeredAt,
      t.voicemailThresholdSeconds,
      t.dailyQuota,
      t.ownerAlertCap,
      JSON.stringify(settings),
    ],
  );
  // Delivered on commit: every process's tenant routing reads this tenant again.
  await db.query('SELECT pg_notify($1, $2)', [TENANTS_CHANNEL, t.tenantId]);
}
