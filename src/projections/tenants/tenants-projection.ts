import type { Consumer } from '../../log/event-log.ts';

/**
 * Projects `TenantRegistered` into the `tenants` table, which routes webhooks by the Twilio
 * number called. Idempotent: applying an event twice leaves the same row.
 */
export const tenantsProjection: Consumer = {
  name: 'projection:tenants',
  async handle(event, { db }) {
    if (event.type !== 'TenantRegistered') return;
    const t = event.data;
    // `tenants add` applies this projection too (read-your-writes); serialise the two writers
    // of one tenant, or the second insert trips the twilio_number unique index mid-flight.
    await db.query(
      "SELECT pg_advisory_xact_lock(hashtextextended('projection:tenants:' || $1, 0))",
      [t.tenantId],
    );
    await db.query(
      `INSERT INTO tenants (tenant_id, name, twilio_number, owner_phone, timezone, business_hours,
         emergency_phone, registered_at, voicemail_threshold_seconds, daily_quota, owner_alert_cap)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name,
         twilio_number = EXCLUDED.twilio_number, owner_phone = EXCLUDED.owner_phone,
         timezone = EXCLUDED.timezone, business_hours = EXCLUDED.business_hours,
         emergency_phone = EXCLUDED.emergency_phone,
         voicemail_threshold_seconds = EXCLUDED.voicemail_threshold_seconds,
         daily_quota = EXCLUDED.daily_quota, owner_alert_cap = EXCLUDED.owner_alert_cap`,
      [
        t.tenantId,
        t.name,
        t.twilioNumber,
        t.ownerPhone,
        t.timezone,
        JSON.stringify(t.businessHours),
        t.emergencyPhone,
        event.occurredAt,
        // Defaults for events recorded before these fields existed.
        t.voicemailThresholdSeconds ?? 10,
        t.dailyQuota ?? 200,
        t.ownerAlertCap ?? 50,
      ],
    );
  },
};
