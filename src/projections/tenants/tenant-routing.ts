import type pg from 'pg';
import { readYourWrites, type DatabaseReach } from '../../db/reach.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { tenantDirectory } from './tenant-directory.ts';

/**
 * Tenant routing for the webhook path: each lookup reads the `tenants` table (so a tenant
 * added or changed a moment ago routes at once, whichever process changed it) and remembers
 * the answer; while PostgreSQL is unreachable (`reach`), the remembered tenants answer, so a
 * caller still hears the right business and schedule. {@link warm} loads every tenant at
 * start. What it remembers is the tenants table: one entry per business, small.
 */
export class TenantRouting {
  private readonly byNumber = new Map<string, Tenant>();
  private readonly byId = new Map<string, Tenant>();

  constructor(
    private readonly db: pg.Pool,
    private readonly reach?: DatabaseReach,
  ) {}

  /** Remembers every tenant now (best effort: an unreachable database leaves it empty). */
  async warm(): Promise<void> {
    const tenants = await readYourWrites(
      this.reach,
      'tenant routing',
      () => tenantDirectory.list(this.db),
      () => [],
    );
    for (const tenant of tenants) this.remember(tenant);
  }

  /** The tenant that owns Twilio number `number` (E.164), if any. */
  async findByNumber(number: string): Promise<Tenant | undefined> {
    return readYourWrites(
      this.reach,
      'tenant routing',
      async () => {
        const tenant = await tenantDirectory.findByNumber(this.db, number);
        if (!tenant) this.byNumber.delete(number); // released: not routed from memory either
        return this.remember(tenant);
      },
      () => this.byNumber.get(number),
    );
  }

  /** The tenant with id `tenantId`, if any. */
  async get(tenantId: string): Promise<Tenant | undefined> {
    return readYourWrites(
      this.reach,
      'tenant routing',
      async () => this.remember(await tenantDirectory.get(this.db, tenantId)),
      () => this.byId.get(tenantId),
    );
  }

  private remember(tenant: Tenant | undefined): Tenant | undefined {
    if (!tenant) return undefined;
    const previous = this.byId.get(tenant.tenantId);
    if (previous && previous.twilioNumber !== tenant.twilioNumber) {
      this.byNumber.delete(previous.twilioNumber);
    }
    this.byId.set(tenant.tenantId, tenant);
    this.byNumber.set(tenant.twilioNumber, tenant);
    return tenant;
  }
}
