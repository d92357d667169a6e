import type pg from 'pg';
import { newEvent } from '../events/new-event.ts';
import { tenantStreamId } from '../events/streams.ts';
import type { EventLog } from '../log/event-log.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { tenantsProjection } from '../projections/tenants/tenants-projection.ts';
import type { RecordedLeadlineEvent } from '../events/catalogue.ts';
import { silentLogger } from '../shared/logger.ts';
import type { Clock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { toE164 } from '../shared/phone.ts';
import { assertTimeZone, parseBusinessHours } from '../tenants/business-hours.ts';
import type { Tenant } from '../tenants/tenant.ts';

/** What an operator gives to register a business (`leadline tenants add`). */
export interface RegisterTenantInput {
  name: string;
  twilioNumber: string;
  ownerPhone: string;
  timezone: string;
  /** `HH:MM-HH:MM`; default `07:00-17:00`. */
  businessHours?: string;
  emergencyPhone?: string;
  /** A `completed` dial shorter than this counts as missed (voicemail). Default 10 s; 0: off. */
  voicemailThresholdSeconds?: number;
  /** Texts to customers per tenant-local day. Default 200. */
  dailyQuota?: number;
}

/** Result of {@link registerTenant}. */
export interface RegisterTenantResult {
  tenant: Tenant;
  /** False when the Twilio number was already registered: nothing was recorded. */
  created: boolean;
}

/**
 * Validates and records `TenantRegistered`. Idempotent on the Twilio number: the tenant id is
 * derived from it, and a number already registered returns the existing tenant unchanged.
 * The new tenant is routable at once: the (idempotent) tenants projection is applied to the
 * appended event here as well as by the worker.
 *
 * @throws ValidationError for an empty name, a phone number that is not one, an unknown
 *   IANA time zone or malformed business hours (each message names the value).
 */
export async function registerTenant(
  input: RegisterTenantInput,
  deps: { log: EventLog; db: pg.Pool; clock: Clock },
): Promise<RegisterTenantResult> {
  const name = input.name.trim();
  if (!name) throw new ValidationError('the business name must not be empty', 'INVALID_NAME');
  const twilioNumber = toE164(input.twilioNumber);
  const ownerPhone = toE164(input.ownerPhone);
  const emergencyPhone = input.emergencyPhone ? toE164(input.emergencyPhone) : null;
  const timezone = assertTimeZone(input.timezone);
  const businessHours = parseBusinessHours(input.businessHours ?? '07:00-17:00');

  const existing = await tenantDirectory.findByNumber(deps.db, twilioNumber);
  if (existing) return { tenant: existing, created: false };

  const tenant: Tenant = {
    tenantId: deterministicId('tenant', twilioNumber),
    name,
    twilioNumber,
    ownerPhone,
    timezone,
    businessHours,
    emergencyPhone,
    voicemailThresholdSeconds: input.voicemailThresholdSeconds ?? 10,
    dailyQuota: input.dailyQuota ?? 200,
    ownerAlertCap: 50,
  };
  const event = newEvent(
    {
      type: 'TenantRegistered',
      streamId: tenantStreamId(tenant.tenantId),
      tenantId: tenant.tenantId,
      data: tenant,
      idempotencyKey: twilioNumber,
    },
    deps.clock,
  );
  const [result] = await deps.log.append([event]);
  // Read-your-writes for routing: Twilio may call the number the moment it is registered.
  // The tenants projection is idempotent, so the worker applying this event again is harmless.
  if (result!.duplicate) {
    // Registered concurrently by someone else: route by what the log holds, not by our copy.
    const winner = await tenantDirectory.findByNumber(deps.db, twilioNumber);
    return { tenant: winner ?? tenant, created: false };
  }
  const client = await deps.db.connect();
  try {
    await client.query('BEGIN');
    await tenantsProjection.handle(
      { ...event, position: result!.position } as RecordedLeadlineEvent,
      { db: client, replay: false, log: silentLogger },
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  return { tenant, created: true };
}
