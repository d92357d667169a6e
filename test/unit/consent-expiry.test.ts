import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { consentExpiresAt, IMPLIED_CONSENT_PERIOD } from '../../src/consent/expiry.ts';

/** Luxon's own answer, as `consentExpiresAt` computed it before it remembered minutes. */
const luxon = (basis: keyof typeof IMPLIED_CONSENT_PERIOD, at: string, zone: string) =>
  DateTime.fromISO(at, { zone }).plus(IMPLIED_CONSENT_PERIOD[basis]).toUTC().toISO();

// Zones with DST, half-hour and 45-minute offsets, a 30-minute DST shift, none at all.
const ZONES = [
  'America/Toronto',
  'America/St_Johns',
  'America/Los_Angeles',
  'Europe/London',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Asia/Kolkata',
  'UTC',
];

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('consentExpiresAt remembers minutes and answers exactly as Luxon does', () => {
  it('agrees with Luxon on random instants, and on every second around DST changes', () => {
    const next = random(14);
    const instants: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      instants.push(
        new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 4 * 365 * 86_400_000)).toISOString(),
      );
    }
    // Minutes around changes in Toronto, London and Lord Howe, and whose 6 months or 2 years
    // later land in one; the 31st of months whose expiry month is shorter.
    for (const start of [
      '2026-03-08T06:58:00.000Z',
      '2026-11-01T05:58:00.000Z',
      '2026-03-29T00:58:00.000Z',
      '2025-09-08T06:58:00.000Z',
      '2026-04-04T14:58:00.000Z',
      '2025-08-31T12:00:00.000Z',
    ]) {
      for (let s = 0; s < 240; s += 7) {
        instants.push(new Date(Date.parse(start) + s * 1_000 + (s % 1_000)).toISOString());
      }
    }
    for (const zone of ZONES) {
      for (const at of instants) {
        for (const basis of ['implied-inquiry', 'implied-business-relationship'] as const) {
          const expected = luxon(basis, at, zone);
          if (consentExpiresAt(basis, at, zone) !== expected) {
            expect({ basis, at, zone, got: consentExpiresAt(basis, at, zone) }).toEqual({
              basis,
              at,
              zone,
              got: expected,
            });
          }
        }
      }
    }
  });

  it('gives Luxon what is not a modern instant in the envelope form, and answers as it does', () => {
    for (const [at, zone] of [
      ['2026-02-30T12:00:00.000Z', 'America/Toronto'], // no such day
      ['2026-13-01T00:00:00.000Z', 'America/Toronto'], // no such month
      ['2026-05-01T25:00:00.000Z', 'America/Toronto'], // no such hour
      ['1960-05-01T12:00:30.500Z', 'Africa/Monrovia'], // an offset of -0:44:30
      ['1972-04-30T23:59:59.999Z', 'Africa/Monrovia'],
    ] as const) {
      expect(consentExpiresAt('implied-inquiry', at, zone)).toBe(
        luxon('implied-inquiry', at, zone),
      );
    }
  });

  it('gives Luxon the forms it does not remember, and null for express consent', () => {
    expect(
      consentExpiresAt('implied-inquiry', '2026-05-15T10:00:00-04:00', 'America/Toronto'),
    ).toBe('2026-11-15T15:00:00.000Z');
    expect(consentExpiresAt('express', '2026-05-15T14:00:00.000Z', 'America/Toronto')).toBeNull();
    expect(
      consentExpiresAt('implied-inquiry', '2026-05-15T14:00:00.000Z', 'Nowhere/Atlantis'),
    ).toBe(luxon('implied-inquiry', '2026-05-15T14:00:00.000Z', 'Nowhere/Atlantis'));
  });
});
