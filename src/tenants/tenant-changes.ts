import type { EventData } from '../events/catalogue.ts';
import { ValidationError } from '../shared/errors.ts';
import { toE164, type E164 } from '../shared/phone.ts';
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
  /** `E.164,…`: the business's other people's phones; `none` or empty clears. */
  staffPhones?: string;
  takeoverWindowSeconds?: number;
  takeoverQuietHours?: number;
  voicemail?: boolean;
  voicemailWaitSeconds?: number;
  /** `en` or `fr`. */
  language?: string;
  /** `M4C,M4E,021,90210`: postal-code prefixes served; `none` or empty: everywhere. */
  serviceArea?: string;
  qualifyingQuestions?: number;
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
  if (input.staffPhones !== undefined) changes.staffPhones = parseStaffPhones(input.staffPhones);
  if (input.language !== undefined) changes.language = parseLanguage(input.language);
  if (input.serviceArea !== undefined) changes.serviceArea = parseServiceArea(input.serviceArea);
  for (const key of [
    'emergencyMode',
    'callScreening',
    'voicemailThresholdSeconds',
    'dailyQuota',
    'ownerAlertCap',
    'alertDebounceSeconds',
    'alertMaxWaitSeconds',
    'takeoverWindowSeconds',
    'takeoverQuietHours',
    'voicemail',
    'voicemailWaitSeconds',
    'qualifyingQuestions',
  ] as const) {
    if (input[key] !== undefined) (changes as Record<string, unknown>)[key] = input[key];
  }
  return changes;
}

/**
 * Checks a whole tenant configuration for contradictions.
 * @throws ValidationError (`INVALID_TENANT`) when emergency mode is on without an on-call
 *   phone, the longest alert wait is shorter than the grouping window, or the business
 *   number is listed as a staff phone.
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
  if (tenant.staffPhones.includes(tenant.twilioNumber)) {
    throw new ValidationError(
      'the business number itself cannot be a staff phone',
      'INVALID_TENANT',
    );
  }
  return tenant;
}

/** Most staff phones a tenant may list (a plumbing business, not a call centre). */
export const MAX_STAFF_PHONES = 50;

/**
 * `+14165550123,+16475550199` → distinct E.164 numbers; `none` or empty → none.
 * @throws ValidationError naming the value that is not a phone number, or when more than
 *   {@link MAX_STAFF_PHONES} are given.
 */
function parseStaffPhones(text: string): E164[] {
  if (none(text)) return [];
  const phones = [
    ...new Set(
      text
        .split(',')
        .filter((p) => p.trim())
        .map((p) => toE164(p)),
    ),
  ];
  if (phones.length > MAX_STAFF_PHONES) {
    throw new ValidationError(
      `at most ${MAX_STAFF_PHONES} staff phones (${phones.length} given)`,
      'INVALID_STAFF_PHONES',
    );
  }
  return phones;
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

/**
 * `en` or `fr` (any case).
 * @throws ValidationError (`INVALID_LANGUAGE`) for any other value.
 */
export function parseLanguage(text: string): 'en' | 'fr' {
  const language = text.trim().toLowerCase();
  if (language === 'en' || language === 'fr') return language;
  throw new ValidationError(`language "${text}" is not en or fr`, 'INVALID_LANGUAGE');
}

/** Most postal-code prefixes a service area may hold. */
export const MAX_SERVICE_AREA = 500;

/**
 * `M4C, m4e,021,90210` → `['M4C', 'M4E', '021', '90210']`: Canadian FSAs (`A1A`) or their
 * first two characters (`M4`), US ZIP3s or ZIP5s, upper-cased, without repeats; `none` or
 * empty → `[]` (everywhere).
 * @throws ValidationError (`INVALID_SERVICE_AREA`) naming a prefix that is neither, or when
 *   more than {@link MAX_SERVICE_AREA} are given.
 */
export function parseServiceArea(text: string): string[] {
  if (none(text)) return [];
  const prefixes = [
    ...new Set(
      text
        .split(',')
        .map((p) => p.replace(/\s+/g, '').toUpperCase())
        .filter(Boolean),
    ),
  ];
  for (const prefix of prefixes) {
    if (!/^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]?|\d{3}|\d{5})$/.test(prefix)) {
      throw new ValidationError(
        `service area "${prefix}" is not a Canadian FSA (M4C) or a US ZIP3/ZIP5 (021, 02139)`,
        'INVALID_SERVICE_AREA',
      );
    }
  }
  if (prefixes.length > MAX_SERVICE_AREA) {
    throw new ValidationError(
      `a service area holds at most ${MAX_SERVICE_AREA} prefixes`,
      'INVALID_SERVICE_AREA',
    );
  }
  return prefixes;
}
