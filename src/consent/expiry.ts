import { DateTime } from 'luxon';

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
 */
export function consentExpiresAt(
  basis: ConsentBasis,
  occurredAt: string,
  timezone: string,
): string | null {
  if (basis === 'express') return null;
  return DateTime.fromISO(occurredAt, { zone: timezone })
    .plus(IMPLIED_CONSENT_PERIOD[basis])
    .toUTC()
    .toISO()!;
}
