import { describe, expect, it } from 'vitest';
import {
  callPeriod,
  localDay,
  parseClosedDates,
  parseLocalTime,
  parseWeeklyHours,
} from '../../src/tenants/schedule.ts';
import { testTenant } from '../support/tenant-fixture.ts';

// Toronto: EDT (UTC-4) in summer, EST (UTC-5) in winter; clocks went back 2026-11-01.
const tenant = testTenant({
  timezone: 'America/Toronto',
  businessHours: { start: '07:00', end: '17:00' },
  weeklyHours: parseWeeklyHours('sat=09:00-12:00,sun=closed'),
  eveningUntil: '20:00',
  closedDates: ['2026-12-25'],
});

describe('call periods from the tenant schedule', () => {
  it.each([
    ['Wed 06:59 EDT', '2026-07-15T10:59:00Z', 'after-hours'],
    ['Wed 07:00 EDT', '2026-07-15T11:00:00Z', 'business-hours'],
    ['Wed 16:59 EDT', '2026-07-15T20:59:00Z', 'business-hours'],
    ['Wed 17:00 EDT: the evening rings through', '2026-07-15T21:00:00Z', 'evening'],
    ['Wed 19:59 EDT', '2026-07-15T23:59:00Z', 'evening'],
    ['Wed 20:00 EDT', '2026-07-16T00:00:00Z', 'after-hours'],
    ['Sat 08:59 EDT: its own hours', '2026-07-18T12:59:00Z', 'after-hours'],
    ['Sat 09:00 EDT', '2026-07-18T13:00:00Z', 'business-hours'],
    ['Sat 12:30 EDT: evening after Saturday hours', '2026-07-18T16:30:00Z', 'evening'],
    ['Sun 10:00 EDT: closed weekday, no evening either', '2026-07-19T14:00:00Z', 'after-hours'],
    ['Sun 18:00 EDT', '2026-07-19T22:00:00Z', 'after-hours'],
    ['Fri 25 Dec 10:00 EST: a holiday', '2026-12-25T15:00:00Z', 'after-hours'],
    ['Thu 24 Dec 10:00 EST', '2026-12-24T15:00:00Z', 'business-hours'],
    ['Mon 2 Nov 06:30 EST, after DST ended (11:30Z)', '2026-11-02T11:30:00Z', 'after-hours'],
    ['Mon 2 Nov 07:00 EST (12:00Z)', '2026-11-02T12:00:00Z', 'business-hours'],
  ])('%s → %s', (_label, instant, period) => {
    expect(callPeriod(tenant, new Date(instant))).toBe(period);
  });

  it('overnight hours belong to the day they start on, and stop when that day is closed', () => {
    const night = testTenant({
      timezone: 'UTC',
      businessHours: { start: '22:00', end: '06:00' },
      weeklyHours: { sat: null },
    });
    expect(callPeriod(night, new Date('2026-07-17T23:00:00Z'))).toBe('business-hours'); // Fri 23:00
    expect(callPeriod(night, new Date('2026-07-18T05:59:00Z'))).toBe('business-hours'); // Sat 05:59, Fri's shift
    expect(callPeriod(night, new Date('2026-07-18T23:00:00Z'))).toBe('after-hours'); // Sat closed
    expect(callPeriod(night, new Date('2026-07-19T05:00:00Z'))).toBe('after-hours'); // Sun early, Sat's shift
  });

  it('knows the local date and weekday across midnight UTC', () => {
    expect(localDay(new Date('2026-07-16T02:00:00Z'), 'America/Toronto')).toEqual({
      date: '2026-07-15',
      weekday: 'wed',
    });
  });
});

describe('schedule input', () => {
  it('parses weekday ranges, single days and closed days', () => {
    expect(parseWeeklyHours('Mon-Fri=07:00-17:00, sat=9:00-12:00,sun=closed')).toEqual({
      mon: { start: '07:00', end: '17:00' },
      tue: { start: '07:00', end: '17:00' },
      wed: { start: '07:00', end: '17:00' },
      thu: { start: '07:00', end: '17:00' },
      fri: { start: '07:00', end: '17:00' },
      sat: { start: '09:00', end: '12:00' },
      sun: null,
    });
    expect(parseWeeklyHours('')).toEqual({});
  });

  it.each(['funday=07:00-17:00', 'fri-mon=07:00-17:00', 'mon=7-5', 'mon'])(
    'rejects "%s" naming the part',
    (text) => {
      expect(() => parseWeeklyHours(text)).toThrow(`"${text}" in the weekly hours`);
    },
  );

  it('parses closed dates and rejects impossible ones', () => {
    expect(parseClosedDates('2026-12-26, 2026-12-25,2026-12-25')).toEqual([
      '2026-12-25',
      '2026-12-26',
    ]);
    expect(() => parseClosedDates('2026-02-30')).toThrow('"2026-02-30" is not a date');
    expect(parseLocalTime('9:30')).toBe('09:30');
    expect(() => parseLocalTime('25:00')).toThrow('"25:00" is not a time');
  });
});
