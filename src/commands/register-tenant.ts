import type pg from 'pg';
import {
  TENANT_DEFAULTS,
  type LeadlineEvent,
  type RecordedLeadlineEvent,
} from '../events/catalogue.ts';
import { withTransaction } from '../db/transaction.ts';
import { newEvent } from '../events/new-event.ts';
import { tenantStreamId } from '../events/streams.ts';
import type { EventLog } from '../log/event-log.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { tenantsProjection } from '../projections/tenants/tenants-projection.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { silentLogger } from '../shared/logger.ts';
import { toE164 } from '../shared/phone.ts';
import {
  assertConsistentTenant,
  parseTenantChanges,
  type TenantSettingsInput,
} from '../tenants/tenant-changes.ts';
import type { Tenant } from '../tenants/tenant.ts';

/** What an operator gives to register a business (`leadline tenants add`). */
export interface RegisterTenantInput extends TenantSettingsInput {
  name: string;
  twilioNumber: string;
  ownerPhone: string;
  timezone: string;
}

/** Result of {@link registerTenant}. */
export interface RegisterTenantResult {
  tenant: Tenant;
  /** False when the Twilio number was already registered: nothing was recorded. */
  created: boolean;
}

/** What the tenant commands need. */
export interface TenantCommandDeps {
  log: EventLog;
  db: pg.Pool;
  clock: Clock;
}

/**
 * Validates and records `TenantRegistered`. Idempotent on the Twilio number: the tenant id is
 * derived from it, and a number already registered returns the existing tenant unchanged.
 * The new tenant is routable at once: the (idempotent) tenants projection is applied to the
 * appended event here as well as by the worker. Unset fields take `TENANT_DEFAULTS` and
 * business hours 07:00-17:00.
 *
 * @throws ValidationError for an empty name, a phone number that is not one, an unknown
 *   IANA time zone, malformed hours or dates, or emergency mode without an on-call phone.
 */
export async function registerTenant(
  input: RegisterTenantInput,
  deps: TenantCommandDeps,
): Promise<RegisterTenantResult> {
  const twilioNumber = toE164(input.twilioNumber);
  const changes = parseTenantChanges({
    ...input,
    businessHours: input.businessHours ?? '07:00-17:00',
  });
  const existing = await tenantDirectory.findByNumber(deps.db, twilioNumber);
  if (existing) return { tenant: existing, created: false };

  const tenant = assertConsistentTenant({
    ...TENANT_DEFAULTS,
    emergencyPhone: null,
    ...changes,
    tenantId: deterministicId('tenant', twilioNumber),
    twilioNumber,
  } as Tenant);
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
  const duplicate = await appendAndProject(event, deps);
  if (duplicate) {
    // Registered concurrently by someone else: route by what the log holds, not by our copy.
    const winner = await tenantDirectory.findByNumber(deps.db, twilioNumber);
    return { tenant: winner ?? tenant, created: false };
  }
  return { tenant, created: true };
}

/**
 * Records `TenantConfigured` with the fields of `input` that differ from the tenant's current
 * configuration (`leadline tenants update`), and applies it to the tenants projection at once
 * so the next webhook sees it. Changing nothing records nothing.
 *
 * @returns the tenant as configured now, and the names of the fields that changed.
 * @throws NotFoundError when no tenant has that id or Twilio number; ValidationError as
 *   {@link registerTenant}.
 */
export async function configureTenant(
  tenantIdOrNumber: string,
  input: TenantSettingsInput,
  deps: TenantCommandDeps,
): Promise<{ tenant: Tenant; changed: string[] }> {
  const current = await findTenant(deps.db, tenantIdOrNumber);
  const requested = parseTenantChanges(input);
  const changes = Object.fromEntries(
    Object.entries(requested).filter(
      ([key, value]) =>
        JSON.stringify(value) !== JSON.stringify(current[key as keyof Tenant] ?? null),
    ),
  );
  const changed = Object.keys(changes);
  if (changed.length === 0) return { tenant: current, changed };
  const tenant = assertConsistentTenant({ ...current, ...changes } as Tenant);
  const event = newEvent(
    {
      type: 'TenantConfigured',
      streamId: tenantStreamId(current.tenantId),
      tenantId: current.tenantId,
      data: { tenantId: current.tenantId, changes },
      // Each update is its own fact; the same change twice in one millisecond is one.
      idempotencyKey: `${deps.clock.now().toISOString()}:${JSON.stringify(changes)}`,
    },
    deps.clock,
  );
  await appendAndProject(event, deps);
  return { tenant, changed };
}

/**
 * The tenant with this id or Twilio number.
 * @throws NotFoundError (`TENANT_NOT_FOUND`) naming what was looked for.
 */
export async function findTenant(db: pg.Pool, tenantIdOrNumber: string): Promise<Tenant> {
  const byId = await tenantDirectory.get(db, tenantIdOrNumber);
  if (byId) return byId;
  let number: string | undefined;
  try {
    number = toE164(tenantIdOrNumber);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
  const byNumber = number ? await tenantDirectory.findByNumber(db, number) : undefined;
  if (byNumber) return byNumber;
  throw new NotFoundError(
    `no tenant has id or Twilio number "${tenantIdOrNumber}"; see leadline tenants list`,
    'TENANT_NOT_FOUND',
  );
}

/**
 * Appends a tenant event and applies the tenants projection to it in one transaction
 * (read-your-writes for routing: Twilio may call the number the moment it is registered).
 * The projection is idempotent, so the worker applying the event again is harmless.
 * @returns true when the log already held the event (nothing applied).
 */
async function appendAndProject(event: LeadlineEvent, deps: TenantCommandDeps): Promise<boolean> {
  const [result] = await deps.log.append([event]);
  if (result!.duplicate) return true;
  await withTransaction(deps.db, (client) =>
    tenantsProjection.handle({ ...event, position: result!.position } as RecordedLeadlineEvent, {
      db: client,
      replay: false,
      log: silentLogger,
    }),
  );
  return false;
}
