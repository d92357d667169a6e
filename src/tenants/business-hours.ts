import { ValidationError } from '../shared/errors.ts';
import type { BusinessHours } from './tenant.ts';

/**
 * Parses `HH:MM-HH:MM` (e.g. `07:00-17:00`, `00:00-24:00` for always open, `22:00-06:00` for
 * overnight).
 * @throws ValidationError (`INVALID_BUSINESS_HOURS`) naming the value otherwise.
 */
export function parseBusinessHours(text: string): BusinessHours {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  const fail = () =>
    new ValidationError(
      `"${text}" is not business hours; write HH:MM-HH:MM, e.g. 07:00-17:00`,
      'INVALID_BUSINESS_HOURS',
    );
  if (!match) throw fail();
  const [sh, sm, eh, em] = match.slice(1).map(Number) as [number, number, number, number];
  const valid = (h: number, m: number) => m < 60 && (h < 24 || (h === 24 && m === 0));
  if (!valid(sh, sm) || !valid(eh, em) || (sh === eh && sm === em)) throw fail();
  const pad = (n: number) => String(n).padStart(2, '0');
  return { start: `${pad(sh)}:${pad(sm)}`, end: `${pad(eh)}:${pad(em)}` };
}

/**
 * Checks that `timezone` is an IANA time zone the runtime knows (e.g. `America/Toronto`).
 * @throws ValidationError (`INVALID_TIME_ZONE`) otherwise.
 */
export function assertTimeZone(timezone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    throw new ValidationError(
      `"${timezone}" is not an IANA time zone; use one like America/Toronto or America/Chicago`,
      'INVALID_TIME_ZONE',
    );
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/**
 * The `en-US` formatter of `style` (`minutes`: 24-hour `HH:MM`; `people`: `3:05 PM`; `day`:
 * date and short weekday) for an IANA `timeZone`, made once per zone and style: building an
 * `Intl.DateTimeFormat` costs about 100 µs, which a replay of a million events would pay on
 * every text it words. Bounded by the IANA zones (tenants' zones are checked on input).
 */
export function zoneFormatter(
  style: 'minutes' | 'people' | 'day',
  timeZone: string,
): Intl.DateTimeFormat {
  const key = `${style}|${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(
      'en-US',
      style === 'minutes'
        ? { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }
        : style === 'day'
          ? { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short' }
          : { timeZone, hour: 'numeric', minute: '2-digit' },
    );
    formatters.set(key, format);
  }
  return format;
}

/** Minutes since local midnight of `instant` in `timezone` (DST-correct, via Intl). */
export function localMinutes(instant: Date, timezone: string): number {
  const parts = zoneFormatter('minutes', timezone).formatToParts(instant);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  return hour * 60 + minute;
}

/** Local wall-clock time of `instant` for people, e.g. `3:05 PM`. */
export function formatLocalTime(instant: Date, timezone: string): string {
  return zoneFormatter('people', timezone).format(instant);
}
