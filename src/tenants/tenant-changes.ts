import type { EventData } from '../events/catalogue.ts';
import { ValidationError } from '../shared/errors.ts';
import { toE164 } from '../shared/phone.ts';
import { assertTimeZone, parseBusinessHours } from './business-hours.ts';
import { parseClosedDates, parseLocalTime, parseWeeklyHours } from './schedule.ts';
import type { Tenant } from './tenant.ts';

/**
 * A tenant's configuration as an operator types it (`leadline tenants add|update` options):
 * every field optional, text where people write text. Absent fields are left as they are.
 */
export interface TenantSettingsInput {
  name?: string;
  ownerPhone?: string;
  timezone?: string;
  /** `HH:MM-HH:MM`, the hours of any weekday without its own. */
  businessHours?: string;
  /** e.g. `mon-fri=07:00-17:00,sat=09:00-12:00,sun=closed`; empty string clears. */
  weeklyHours?: string;
  /** `HH:MM`, or `none`. */
  eveningUntil?: string;
  /** `YYYY-MM-DD,…`; empty string clears. */
  closedDates?: string;
  /** E.164, or `none`. */
  emergencyPhone?: string;
  emergencyMode?: boolean;
  callScreening?: boolean;
  /** An https URL, or `none`. */
  reviewLink?: string;
  voicemailThresholdSeconds?: number;
  dailyQuota?: number;
  ownerAlertCap?: number;
  alertDebounceSeconds?: number;
  alertMaxWaitSeconds?: number;
  /** `HH:MM-HH:MM`: when non-urgent texts may reach customers (their local time). */
  quietHoursAllowed?: string;
}

/** The fields a `TenantConfigured` event may change. */
export type TenantChanges = EventData<'TenantConfigured'>['changes'];

const none = (text: string) => ['none', 'off', ''].includes(text.trim().toLowerCase());

/**
 * Validates operator input into configuration changes (only the fields given).
 * @throws ValidationError naming the value for an empty name, a phone number that is not
 *   one, an unknown IANA zone, malformed hours, dates or times, or a review link that is not
 *   an http(s) URL.
 */
export function parseTenantChanges(input: TenantSettingsInput): TenantChanges {
  const changes: TenantChanges = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (!name) throw new ValidationError('the business name must not be empty', 'INVALID_NAME');
    changes.name = name;
  }
  if (input.ownerPhone !== undefined) changes.ownerPhone = toE164(input.ownerPhone);
  if (input.timezone !== undefined) changes.timezone = assertTimeZone(input.timezone);
  if (input.businessHours !== undefined)
    changes.businessHours = parseBusinessHours(input.businessHours);
  if (input.weeklyHours !== undefined) changes.weeklyHours = parseWeeklyHours(input.weeklyHours);
  if (input.eveningUntil !== undefined)
    changes.eveningUntil = none(input.eveningUntil) ? null : parseLocalTime(input.eveningUntil);
  if (input.closedDates !== undefined) changes.closedDates = parseClosedDates(input.closedDates);
  if (input.emergencyPhone !== undefined)
    changes.emergencyPhone = none(input.emergencyPhone) ? null : toE164(input.emergencyPhone);
  if (input.reviewLink !== undefined)
    changes.reviewLink = none(input.reviewLink) ? null : parseReviewLink(input.reviewLink);
  if (input.quietHoursAllowed !== undefined)
    changes.quietHoursAllowed = parseBusinessHours(input.quietHoursAllowed);
  for (const key of [
    'emergencyMode',
    'callScreening',
    'voicemailThresholdSeconds',
    'dailyQuota',
    'ownerAlertCap',
    'alertDebounceSeconds',
    'alertMaxWaitSeconds',
  ] as const) {
    if (input[key] !== undefined) (changes as Record<string, unknown>)[key] = input[key];
  }
  return changes;
}

/**
 * Checks a whole tenant configuration for contradictions.
 * @throws ValidationError (`INVALID_TENANT`) when emergency mode is on without an on-call
 *   phone, or the longest alert wait is shorter than the grouping window.
 */
export function assertConsistentTenant(tenant: Tenant): Tenant {
  if (tenant.emergencyMode && !tenant.emergencyPhone) {
    throw new ValidationError(
      'emergency mode needs an on-call phone: give --emergency-phone too',
      'INVALID_TENANT',
    );
  }
  if (tenant.alertMaxWaitSeconds < tenant.alertDebounceSeconds) {
    throw new ValidationError(
      `the longest alert wait (${tenant.alertMaxWaitSeconds} s) is shorter than the grouping window (${tenant.alertDebounceSeconds} s)`,
      'INVALID_TENANT',
    );
  }
  return tenant;
}

function parseReviewLink(text: string): string {
  try {
    const url = new URL(text.trim());
    if (url.protocol === 'https:' || url.protocol === 'http:') return url.toString();
  } catch {
    // fall through
  }
  throw new ValidationError(
    `"${text}" is not a review link; give the full https:// address`,
    'INVALID_REVIEW_LINK',
  );
}
