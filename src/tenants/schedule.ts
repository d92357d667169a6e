import { ValidationError } from '../shared/errors.ts';
import { localMinutes, parseBusinessHours, zoneFormatter } from './business-hours.ts';
import type { BusinessHours, Tenant, Weekday } from './tenant.ts';

/** Weekdays in the order `Intl` and people use them, Monday first. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * The period a call falls in, from the tenant's own schedule (design §7):
 * - `business-hours`: ring the owner;
 * - `evening`: after closing but before `eveningUntil`: ring through, as in business hours;
 * - `after-hours`: the spoken notice and a text (or the emergency menu when it is on).
 */
export type CallPeriod = 'business-hours' | 'evening' | 'after-hours';

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The tenant-local calendar date (`YYYY-MM-DD`) and weekday of `instant` (DST-correct). */
export function localDay(instant: Date, timezone: string): { date: string; weekday: Weekday } {
  const parts = zoneFormatter('day', timezone).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    weekday: get('weekday').toLowerCase().slice(0, 3) as Weekday,
  };
}

/** The calendar date before `date` (`YYYY-MM-DD`), with its weekday. */
function dayBefore(date: string): { date: string; weekday: Weekday } {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return { date: d.toISOString().slice(0, 10), weekday: WEEKDAYS[(d.getUTCDay() + 6) % 7]! };
}

/** The hours of one local day: its weekday's own hours, the default, or none (closed). */
function hoursOn(tenant: Tenant, day: { date: string; weekday: Weekday }): BusinessHours | null {
  if (tenant.closedDates.includes(day.date)) return null;
  const own = tenant.weeklyHours[day.weekday];
  return own === undefined ? tenant.businessHours : own;
}

/**
 * Which period `instant` falls in for `tenant` (pure). The hours of a day belong to the day
 * they start on: `22:00-06:00` on Friday covers Saturday until 06:00, unless Friday is closed.
 * A closed date (holiday) or a weekday set to closed is after hours all day, evening included.
 * The evening runs from the day's closing until `eveningUntil` (same local day). Local times
 * come from the runtime's IANA database, so they hold across DST changes.
 */
export function callPeriod(tenant: Tenant, instant: Date): CallPeriod {
  const now = localMinutes(instant, tenant.timezone);
  const today = localDay(instant, tenant.timezone);
  const hours = hoursOn(tenant, today);
  if (hours) {
    const start = toMinutes(hours.start);
    const end = toMinutes(hours.end);
    if (start < end ? now >= start && now < end : now >= start) return 'business-hours';
    const evening = tenant.eveningUntil === null ? null : toMinutes(tenant.eveningUntil);
    if (start < end && evening !== null && now >= end && now < evening) return 'evening';
  }
  const yesterday = hoursOn(tenant, dayBefore(today.date));
  if (yesterday && toMinutes(yesterday.start) > toMinutes(yesterday.end)) {
    if (now < toMinutes(yesterday.end)) return 'business-hours';
  }
  return 'after-hours';
}

/**
 * Parses a weekly schedule such as `mon-fri=07:00-17:00,sat=09:00-12:00,sun=closed`: comma-
 * separated `<days>=<hours>` where days are one weekday or a range (`mon-fri`) and hours are
 * `HH:MM-HH:MM` or `closed`. Days not named keep the tenant's default business hours.
 * @throws ValidationError (`INVALID_WEEKLY_HOURS`) naming the part that is wrong.
 */
export function parseWeeklyHours(text: string): Partial<Record<Weekday, BusinessHours | null>> {
  const result: Partial<Record<Weekday, BusinessHours | null>> = {};
  const fail = (part: string, why: string) =>
    new ValidationError(
      `"${part}" in the weekly hours ${why}; write e.g. mon-fri=07:00-17:00,sat=09:00-12:00,sun=closed`,
      'INVALID_WEEKLY_HOURS',
    );
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const [days, hours] = part.split('=').map((s) => s.trim().toLowerCase());
    if (!days || !hours) throw fail(part, 'is not <days>=<hours>');
    const [from, to = from] = days.split('-') as [string, string?];
    const a = WEEKDAYS.indexOf(from as Weekday);
    const b = WEEKDAYS.indexOf(to as Weekday);
    if (a < 0 || b < 0 || b < a) throw fail(part, 'does not name weekdays (mon … sun)');
    let value: BusinessHours | null;
    try {
      value = hours === 'closed' ? null : parseBusinessHours(hours);
    } catch {
      throw fail(part, 'does not give HH:MM-HH:MM or closed');
    }
    for (const day of WEEKDAYS.slice(a, b + 1)) result[day] = value;
  }
  return result;
}

/**
 * Parses closed dates (holidays) such as `2026-12-25,2026-12-26`.
 * @throws ValidationError (`INVALID_CLOSED_DATES`) naming a date that is not `YYYY-MM-DD`.
 */
export function parseClosedDates(text: string): string[] {
  const dates = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const date of dates) {
    const valid =
      /^\d{4}-\d{2}-\d{2}$/.test(date) &&
      new Date(`${date}T00:00:00Z`).toISOString().startsWith(date);
    if (!valid) {
      throw new ValidationError(
        `"${date}" is not a date; write closed dates as YYYY-MM-DD, comma-separated`,
        'INVALID_CLOSED_DATES',
      );
    }
  }
  return [...new Set(dates)].sort();
}

/**
 * Parses a local time `HH:MM` (e.g. the end of the evening, `21:00`).
 * @throws ValidationError (`INVALID_TIME`) otherwise.
 */
export function parseLocalTime(text: string): string {
  const match = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  const h = Number(match?.[1]);
  const m = Number(match?.[2]);
  if (!match || m >= 60 || h > 24 || (h === 24 && m > 0)) {
    throw new ValidationError(`"${text}" is not a time; write HH:MM, e.g. 21:00`, 'INVALID_TIME');
  }
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
