import type pg from 'pg';
import { TENANT_DEFAULTS, type EventData } from '../../events/catalogue.ts';
import type { E164 } from '../../shared/phone.ts';
import type { BusinessHours, Tenant } from '../../tenants/tenant.ts';

interface TenantRow {
  tenant_id: string;
  name: string;
  twilio_number: string;
  owner_phone: string;
  timezone: string;
  business_hours: BusinessHours;
  emergency_phone: string | null;
  voicemail_threshold_seconds: number;
  daily_quota: number;
  owner_alert_cap: number;
  settings: Partial<Tenant>;
}

/** The tenant a `TenantRegistered` event describes, with defaults for fields it predates. */
export function tenantFromEvent(data: EventData<'TenantRegistered'>): Tenant {
  return { ...TENANT_DEFAULTS, ...data } as Tenant;
}

const toTenant = (r: TenantRow): Tenant =>
  ({
    ...TENANT_DEFAULTS,
    ...r.settings,
    tenantId: r.tenant_id,
    name: r.name,
    twilioNumber: r.twilio_number as E164,
    ownerPhone: r.owner_phone as E164,
    timezone: r.timezone,
    businessHours: r.business_hours,
    emergencyPhone: r.emergency_phone as E164 | null,
    voicemailThresholdSeconds: r.voicemail_threshold_seconds,
    dailyQuota: r.daily_quota,
    ownerAlertCap: r.owner_alert_cap,
  }) as Tenant;

const COLUMNS =
  'tenant_id, name, twilio_number, owner_phone, timezone, business_hours, emergency_phone, voicemail_threshold_seconds, daily_quota, owner_alert_cap, settings';

/**
 * A `SELECT` of one `jsonb` column `doc`, a row per tenant whose id is in the `text[]`
 * parameter `param` (e.g. `$1`), for a caller that reads tenants in the same statement as
 * its own rows (one round trip instead of two); {@link tenantFromDoc} reads each `doc`.
 */
export const tenantDocsSql = (param: string): string =>
  `SELECT to_jsonb(t) AS doc FROM (SELECT ${COLUMNS} FROM tenants WHERE tenant_id = ANY(${param}::text[])) AS t`;

/** The tenant of a `doc` selected by {@link tenantDocsSql}. */
export const tenantFromDoc = (doc: unknown): Tenant => toTenant(doc as TenantRow);

/** Queries over the tenants projection. `db` may be a pool or a consumer's transaction. */
export const tenantDirectory = {
  /** The tenant that owns Twilio number `number` (E.164), if any. */
  async findByNumber(db: pg.Pool | pg.ClientBase, number: string): Promise<Tenant | undefined> {
    const { rows } = await db.query<TenantRow>(
      `SELECT ${COLUMNS} FROM tenants WHERE twilio_number = $1`,
      [number],
    );
    return rows[0] && toTenant(rows[0]);
  },
  /** The tenant with id `tenantId`, if any. */
  async get(db: pg.Pool | pg.ClientBase, tenantId: string): Promise<Tenant | undefined> {
    const { rows } = await db.query<TenantRow>(
      `SELECT ${COLUMNS} FROM tenants WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0] && toTenant(rows[0]);
  },
  /**
   * The tenants with ids `tenantIds`, in one query: a consumer's batch reads each tenant
   * once. Ids without a tenant are absent from the map; duplicates are harmless.
   */
  async getMany(
    db: pg.Pool | pg.ClientBase,
    tenantIds: readonly string[],
  ): Promise<Map<string, Tenant>> {
    if (tenantIds.length === 0) return new Map();
    const { rows } = await db.query<TenantRow>(
      `SELECT ${COLUMNS} FROM tenants WHERE tenant_id = ANY($1::text[])`,
      [tenantIds],
    );
    return new Map(rows.map((r) => [r.tenant_id, toTenant(r)]));
  },
  /** Every tenant, by name. */
  async list(db: pg.Pool | pg.ClientBase): Promise<Tenant[]> {
    const { rows } = await db.query<TenantRow>(
      `SELECT ${COLUMNS} FROM tenants ORDER BY name, tenant_id`,
    );
    return rows.map(toTenant);
  },
};
