import { localMinutes } from '../tenants/business-hours.ts';
import type { BusinessHours } from '../tenants/tenant.ts';

/**
 * Texts that are solicitations rather than replies, and so wait for daytime: today the
 * review request. A text answering a call or a text the customer just made (missed-call
 * text, acknowledgement, confirmations, HELP, review replies) is never deferred, nor is any
 * alert to the owner.
 */
export const DEFERRABLE_PURPOSES: ReadonlySet<string> = new Set(['review-request']);

/**
 * Texts that are not transactional (they solicit rather than answer): sent only with consent
 * valid at the moment of sending on the consent ledger (express, or implied and not expired:
 * CASL s.6, s.10), not merely the absence of an opt-out. Today the same set as
 * {@link DEFERRABLE_PURPOSES}.
 */
export const NON_TRANSACTIONAL_PURPOSES: ReadonlySet<string> = DEFERRABLE_PURPOSES;

/** The quiet-hours rule's default: texts allowed 08:00-21:00 local (TCPA 47 CFR 64.1200(c)(1)). */
export const DEFAULT_ALLOWED_HOURS: BusinessHours = { start: '08:00', end: '21:00' };

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether local time `minutes` (since midnight) is inside `allowed` (end exclusive). */
function allowedAt(minutes: number, allowed: BusinessHours): boolean {
  const start = toMinutes(allowed.start);
  const end = toMinutes(allowed.end);
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

/**
 * When a non-urgent text to a customer may go out (pure): null when it may go now, else the
 * first whole minute after `now` at which the local time in every one of `timezones` is inside
 * `allowed` (the TCPA's 8 a.m. to 9 p.m. at the called party's location by default, 47 CFR
 * 64.1200(c)(1); a number whose area code spans zones must be inside the window in each).
 * Local times come from the runtime's IANA database, so DST changes are honoured. Looks at
 * most 48 hours ahead.
 * @throws Error when `allowed` never holds for all zones at once within 48 hours.
 */
export function quietHoursDeferral(
  now: Date,
  timezones: string[],
  allowed: BusinessHours,
): Date | null {
  const ok = (at: Date) => timezones.every((tz) => allowedAt(localMinutes(at, tz), allowed));
  if (ok(now)) return null;
  const firstMinute = Math.ceil(now.getTime() / 60_000) * 60_000;
  for (let t = firstMinute; t <= now.getTime() + 48 * 3_600_000; t += 60_000) {
    if (ok(new Date(t))) return new Date(t);
  }
  throw new Error(
    `no minute in the next 48 h is inside ${allowed.start}-${allowed.end} in all of ${timezones.join(', ')}`,
  );
}
