import { TENANT_DEFAULTS } from '../../src/events/catalogue.ts';
import type { E164 } from '../../src/shared/phone.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';

/**
 * A tenant for pure-function tests: Maple Plumbing in Toronto, open 07:00-17:00, every
 * other setting at its default; `overrides` replaces any field.
 */
export function testTenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    ...TENANT_DEFAULTS,
    tenantId: 't1',
    name: 'Maple Plumbing',
    twilioNumber: '+14165550100' as E164,
    ownerPhone: '+14165550199' as E164,
    timezone: 'America/Toronto',
    businessHours: { start: '07:00', end: '17:00' },
    emergencyPhone: null,
    weeklyHours: {},
    closedDates: [],
    staffPhones: [],
    serviceArea: [],
    quietHoursAllowed: { ...TENANT_DEFAULTS.quietHoursAllowed },
    ...overrides,
  };
}
