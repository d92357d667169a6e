import { DateTime } from 'luxon';
import { ValidationError } from './errors.ts';

/**
 * The first calendar date a caller may name (`YYYY-MM-DD`). Leadline holds nothing older, and
 * a bound keeps dates far from the edges where time-zone offsets and PostgreSQL's timestamp
 * range break (year 1 in a zone with a local mean time offset is a 500, not an answer).
 */
export const EARLIEST_DATE = '2000-01-01';
/** The last calendar date a caller may name (`YYYY-MM-DD`). */
export const LATEST_DATE = '2100-12-31';
/**
 * The longest period (in days, both ends included) a summary or funnel covers: a year, a leap
 * year included. Longer ranges are refused rather than scanned.
 */
export const MAX_PERIOD_DAYS = 366;

const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const AFTER_LATEST_INSTANT = Date.parse(`${LATEST_DATE}T00:00:00Z`) + 86_400_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A date, or a date and time with seconds optional, a fraction up to ns and a zone (Z or ±hh:mm). */
const INSTANT =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** `value` as it may be quoted back in an error message: at most 40 characters. */
const quoted = (value: string) =>
  JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/**
 * A calendar date parameter, `YYYY-MM-DD`, a real date between {@link EARLIEST_DATE} and
 * {@link LATEST_DATE} (both included).
 * @returns the date as given (`YYYY-MM-DD`).
 * @throws ValidationError (`INVALID_DATE`) naming the parameter `name` otherwise: another
 *   shape, a day the month does not have (`2026-02-30`), or a date outside the bounds.
 */
export function parseBoundedDate(name: string, value: string): string {
  if (!DATE.test(value) || !DateTime.fromISO(value, { zone: 'utc' }).isValid) {
    throw new ValidationError(
      `${name} ${quoted(value)} is not a date; use YYYY-MM-DD`,
      'INVALID_DATE',
    );
  }
  if (value < EARLIEST_DATE || value > LATEST_DATE) {
    throw new ValidationError(
      `${name} ${quoted(value)} is out of range; dates run from ${EARLIEST_DATE} to ${LATEST_DATE}`,
      'INVALID_DATE',
    );
  }
  return value;
}

/**
 * Checks a period of calendar dates (`YYYY-MM-DD`, already parsed with
 * {@link parseBoundedDate}): `to` not before `from`, at most {@link MAX_PERIOD_DAYS} days.
 * @throws ValidationError (`INVALID_DATE`) otherwise.
 */
export function checkPeriod(from: string, to: string): void {
  if (to < from) throw new ValidationError(`to is before from (${to} < ${from})`, 'INVALID_DATE');
  const days =
    Date.parse(`${to}T00:00:00Z`) / 86_400_000 - Date.parse(`${from}T00:00:00Z`) / 86_400_000 + 1;
  if (days > MAX_PERIOD_DAYS) {
    throw new ValidationError(
      `the period ${from} to ${to} covers ${days} days; at most ${MAX_PERIOD_DAYS} days at a time`,
      'INVALID_DATE',
    );
  }
}

/**
 * An instant parameter in ISO-8601: a date (`2026-11-23`, midnight UTC) or a date and time
 * with its zone (`2026-11-23T15:00:00Z`, `2026-11-23T10:00-05:00`), a real one, from
 * {@link EARLIEST_DATE} 00:00 UTC up to the end of {@link LATEST_DATE} (UTC).
 * @returns the instant as UTC ISO-8601 (`2026-11-23T15:00:00.000Z`).
 * @throws ValidationError (`INVALID_TIME`) naming the parameter `name` otherwise: free text
 *   (`yesterday`, `Nov 23 2026`), a time without a zone, a day the month does not have, or an
 *   instant outside the bounds.
 */
export function parseBoundedInstant(name: string, value: string): string {
  const parsed = INSTANT.test(value) ? DateTime.fromISO(value, { zone: 'utc' }) : undefined;
  if (!parsed?.isValid) {
    throw new ValidationError(
      `${name} ${quoted(value)} is not an instant; use ISO-8601, e.g. 2026-11-23T15:00:00Z`,
      'INVALID_TIME',
    );
  }
  const ms = parsed.toMillis();
  if (ms < EARLIEST_INSTANT || ms >= AFTER_LATEST_INSTANT) {
    throw new ValidationError(
      `${name} ${quoted(value)} is out of range; instants run from ${EARLIEST_DATE} to ${LATEST_DATE} (UTC)`,
      'INVALID_TIME',
    );
  }
  return new Date(ms).toISOString();
}
