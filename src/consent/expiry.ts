import { DateTime } from 'luxon';
import { memoiseByText } from '../shared/memo.ts';

/** Bases of consent (CASL s.10; TCPA prior express consent). */
export type ConsentBasis = 'express' | 'implied-inquiry' | 'implied-business-relationship';

/**
 * How long implied consent lasts: an inquiry (the person called or texted) six months, an
 * existing business relationship (a job done or quoted) two years. Source: CASL (S.C. 2010,
 * c. 23) s.10(10)(b) and s.10(10)(a), (c). Express consent lasts until revoked.
 */
export const IMPLIED_CONSENT_PERIOD = {
  'implied-inquiry': { months: 6 },
  'implied-business-relationship': { years: 2 },
} as const;

/**
 * When consent on `basis`, given at `occurredAt` (UTC ISO-8601), expires: the same local wall
 * time 6 months (inquiry) or 2 years (business relationship) later in `timezone` (the
 * tenant's IANA zone), as UTC ISO-8601; a day the month lacks becomes its last day (31 Aug →
 * 28/29 Feb). Across a DST change the UTC offset differs, the local time does not. Null for
 * express consent (until revoked). Calendar arithmetic by Luxon.
 *
 * Every inquiry asks this on the webhook path, and Luxon's zone arithmetic was a large share
 * of a webhook's CPU, so Luxon's answer for the start of `occurredAt`'s minute is remembered
 * and the seconds past it are added: exact, because since 1973 zone offsets are whole minutes
 * and change only on whole minutes (the IANA database), so every instant of one minute has
 * the same local date and the same offset, now and at the expiry.
 */
export function consentExpiresAt(
  basis: ConsentBasis,
  occurredAt: string,
  timezone: string,
): string | null {
  if (basis === 'express') return null;
  const at = Date.parse(occurredAt);
  // Anything but a real modern instant written as envelopes write it (`2026-11-28T14:03:12.345Z`;
  // not 31 February, an hour 25, another form, or a year before offsets settled on whole
  // minutes) is Luxon's to answer, as it always was.
  if (!(at >= WHOLE_MINUTE_OFFSETS) || new Date(at).toISOString() !== occurredAt) {
    return luxonExpiry(basis, occurredAt, timezone);
  }
  const intoMinute = ((at % 60_000) + 60_000) % 60_000;
  const minute = new Date(at - intoMinute).toISOString();
  const expiry = minuteExpiry(`${basis}|${timezone}|${minute}`);
  // '' for what Luxon cannot place (an unknown zone): its own answer, as before.
  if (!expiry) return luxonExpiry(basis, occurredAt, timezone);
  return new Date(Date.parse(expiry) + intoMinute).toISOString();
}

/**
 * From 1973 every zone's offset is a whole number of minutes (the last with seconds,
 * Africa/Monrovia's −0:44:30, ended in 1972), and so is every change of offset.
 */
const WHOLE_MINUTE_OFFSETS = Date.UTC(1973, 0, 1);

/** Luxon's answer (see {@link consentExpiresAt}). */
function luxonExpiry(
  basis: Exclude<ConsentBasis, 'express'>,
  occurredAt: string,
  timezone: string,
): string | null {
  return DateTime.fromISO(occurredAt, { zone: timezone })
    .plus(IMPLIED_CONSENT_PERIOD[basis])
    .toUTC()
    .toISO();
}

/** `<basis>|<zone>|<minute, UTC ISO>` → Luxon's expiry for that minute's start, remembered. */
const minuteExpiry = memoiseByText(
  (key) => {
    const [basis, timezone, minute] = key.split('|') as [
      Exclude<ConsentBasis, 'express'>,
      string,
      string,
    ];
    return luxonExpiry(basis, minute, timezone) ?? '';
  },
  { maxEntries: 2_000, maxTextLength: 120 },
);
