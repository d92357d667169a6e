import { describe, expect, it } from 'vitest';
import { assertTimeZone, parseBusinessHours } from '../../src/tenants/business-hours.ts';
import { callPeriod } from '../../src/tenants/schedule.ts';
import type { BusinessHours } from '../../src/tenants/tenant.ts';
import { testTenant } from '../support/tenant-fixture.ts';

const isWithinBusinessHours = (businessHours: BusinessHours, timezone: string, instant: Date) =>
  callPeriod(testTenant({ businessHours, timezone }), instant) === 'business-hours';

describe('business hours', () => {
  const hours = parseBusinessHours('07:00-17:00');

  it.each([
    ['2026-07-15T10:59:00Z', false], // 06:59 EDT
    ['2026-07-15T11:00:00Z', true], // 07:00 EDT
    ['2026-07-15T20:59:00Z', true], // 16:59 EDT
    ['2026-07-15T21:00:00Z', false], // 17:00 EDT: end is exclusive
    ['2026-01-15T11:59:00Z', false], // 06:59 EST: same local time, other UTC offset
    ['2026-01-15T12:00:00Z', true], // 07:00 EST
  ])('Toronto at %s → open %s (DST-correct)', (instant, open) => {
    expect(isWithinBusinessHours(hours, 'America/Toronto', new Date(instant))).toBe(open);
  });

  it('keeps 07:00 local on the morning clocks spring forward (2026-03-08 in Toronto)', () => {
    expect(isWithinBusinessHours(hours, 'America/Toronto', new Date('2026-03-08T10:59:00Z'))).toBe(
      false,
    );
    expect(isWithinBusinessHours(hours, 'America/Toronto', new Date('2026-03-08T11:00:00Z'))).toBe(
      true,
    );
  });

  it('handles overnight spans and round-the-clock hours', () => {
    const night = parseBusinessHours('22:00-06:00');
    expect(isWithinBusinessHours(night, 'UTC', new Date('2026-05-01T23:30:00Z'))).toBe(true);
    expect(isWithinBusinessHours(night, 'UTC', new Date('2026-05-01T05:59:00Z'))).toBe(true);
    expect(isWithinBusinessHours(night, 'UTC', new Date('2026-05-01T12:00:00Z'))).toBe(false);
    const always = parseBusinessHours('00:00-24:00');
    expect(isWithinBusinessHours(always, 'UTC', new Date('2026-05-01T23:59:00Z'))).toBe(true);
  });

  it.each(['7-5', '25:00-26:00', '07:60-17:00', '09:00-09:00', ''])(
    'rejects "%s" with a clear message',
    (text) => {
      expect(() => parseBusinessHours(text)).toThrow(/HH:MM-HH:MM/);
    },
  );

  it('accepts IANA zones and rejects others by name', () => {
    expect(assertTimeZone('America/Winnipeg')).toBe('America/Winnipeg');
    expect(() => assertTimeZone('Mars/Olympus')).toThrow('"Mars/Olympus" is not an IANA time zone');
  });
});
