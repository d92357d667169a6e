import type pg from 'pg';
import { readYourWrites, type DatabaseReach } from '../../db/reach.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import type { Wakeups } from '../../db/wakeups.ts';
import { tenantDirectory } from './tenant-directory.ts';

/** The channel `tenants` writers NOTIFY with the tenant id (see `tenants-projection.ts`). */
export const TENANTS_CHANNEL = 'leadline_tenants';

/** How often (ms) every tenant is read again, in case a notification was missed. */
const FULL_REFRESH_MS = 30_000;

/**
 * Tenant routing for the webhook path, answered from memory: every tenant is loaded at start
 * ({@link warm}) and each change is read again when its writer's notification arrives
 * ({@link follow}: `tenants add|update` and the tenants projection NOTIFY `leadline_tenants`
 * with the tenant id on commit, so another process sees a change within milliseconds);
 * everything is read again every 30 s in case a notification was lost with its connection.
 * A number or id not in memory is looked up in the `tenants` table, so a tenant added a
 * moment ago routes at once even before its notification arrives. While PostgreSQL is
 * unreachable (`reach`), memory answers alone, so a caller still hears the right business
 * and schedule. What it holds is the tenants table: one entry per business, small.
 */
export class TenantRouting {
  private readonly byNumber = new Map<string, Tenant>();
  private readonly byId = new Map<string, Tenant>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private unfollow: (() => void) | undefined;

  constructor(
    private readonly db: pg.Pool,
    private readonly reach?: DatabaseReach,
  ) {}

  /** Remembers every tenant now (best effort: an unreachable database leaves it as it was). */
  async warm(): Promise<void> {
    const tenants = await readYourWrites(
      this.reach,
      'tenant routing',
      () => tenantDirectory.list(this.db),
      () => [],
    );
    for (const tenant of tenants) this.remember(tenant);
  }

  /**
   * Keeps memory fresh from `changes` (a LISTEN on {@link TENANTS_CHANNEL}) and a full read
   * every 30 s, until {@link stop}.
   */
  follow(changes: Wakeups): void {
    this.unfollow = changes.onPayload((tenantId) => {
      if (tenantId) void this.reload(tenantId);
    });
    this.refreshTimer = setInterval(() => void this.warm().catch(() => {}), FULL_REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** Stops following changes. */
  stop(): void {
    this.unfollow?.();
    clearInterval(this.refreshTimer);
  }

  /** The tenant that owns Twilio number `number` (E.164), if any. */
  async findByNumber(number: string): Promise<Tenant | undefined> {
    const known = this.byNumber.get(number);
    if (known) return known;
    return readYourWrites(
      this.reach,
      'tenant routing',
      async () => this.remember(await tenantDirectory.findByNumber(this.db, number)),
      () => undefined,
    );
  }

  /** The tenant with id `tenantId`, if any. */
  async get(tenantId: string): Promise<Tenant | undefined> {
    const known = this.byId.get(tenantId);
    if (known) return known;
    return readYourWrites(
      this.reach,
      'tenant routing',
      async () => this.remember(await tenantDirectory.get(this.db, tenantId)),
      () => undefined,
    );
  }

  /** Reads one tenant again after its change (a failure leaves memory as it was). */
  private async reload(tenantId: string): Promise<void> {
    try {
      this.remember(await tenantDirectory.get(this.db, tenantId));
    } catch {
      // The next notification or the full refresh brings it.
    }
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
