import { describe, expect, it } from 'vitest';
import { periodIn } from '../../src/projections/dashboard/read-model.ts';
import {
  checkPeriod,
  parseBoundedDate,
  parseBoundedInstant,
} from '../../src/shared/time-bounds.ts';

describe('dates and instants a caller may name (2000-01-01 … 2100-12-31)', () => {
  it('takes real dates inside the bounds, ends included', () => {
    expect(parseBoundedDate('from', '2000-01-01')).toBe('2000-01-01');
    expect(parseBoundedDate('from', '2100-12-31')).toBe('2100-12-31');
    expect(parseBoundedDate('from', '2024-02-29')).toBe('2024-02-29');
  });

  it.each([
    ['1999-12-31', /out of range; dates run from 2000-01-01 to 2100-12-31/],
    ['2101-01-01', /out of range/],
    ['0001-01-01', /out of range/],
    ['2026-02-30', /is not a date; use YYYY-MM-DD/],
    ['2025-02-29', /is not a date/],
    ['2026-1-01', /is not a date/],
    ['2026-01-01T00:00:00Z', /is not a date/],
    ['x', /is not a date/],
    ['9'.repeat(10_000), /^from "9{40}…" is not a date/],
  ])('refuses the date %s', (value, message) => {
    expect(() => parseBoundedDate('from', value)).toThrow(message);
  });

  it('a period runs forwards, at most 366 days', () => {
    expect(() => checkPeriod('2024-01-01', '2024-12-31')).not.toThrow();
    expect(() => checkPeriod('2025-01-01', '2026-01-01')).not.toThrow();
    expect(() => checkPeriod('2025-01-01', '2026-01-02')).toThrow(
      'the period 2025-01-01 to 2026-01-02 covers 367 days; at most 366 days at a time',
    );
    expect(() => checkPeriod('2026-03-01', '2026-02-28')).toThrow('to is before from');
    // Across a DST change in the tenant's zone the count is still in calendar days.
    expect(periodIn('America/Toronto', new Date(), '2026-01-01', '2026-12-31').localTo).toBe(
      '2026-12-31',
    );
  });

  it('instants: ISO-8601 dates, or date-times with their zone, to UTC', () => {
    expect(parseBoundedInstant('time', '2026-11-23')).toBe('2026-11-23T00:00:00.000Z');
    expect(parseBoundedInstant('time', '2026-11-23T10:00-05:00')).toBe('2026-11-23T15:00:00.000Z');
    expect(parseBoundedInstant('time', '2100-12-31T23:59:59.999Z')).toBe(
      '2100-12-31T23:59:59.999Z',
    );
    expect(parseBoundedInstant('time', '2000-01-01T00:00:00Z')).toBe('2000-01-01T00:00:00.000Z');
  });

  it.each([
    ['1999-12-31T23:59:59Z', /out of range/],
    ['2101-01-01T00:00:00Z', /out of range/],
    ['2000-01-01T00:00:00+01:00', /out of range/],
    ['+275760-09-13T00:00:00Z', /is not an instant/],
    ['2026-02-30T12:00:00Z', /is not an instant/],
    ['2026-11-23T15:00:00', /is not an instant/],
    ['Nov 23 2026', /is not an instant/],
    ['1', /is not an instant/],
    ['yesterday', /^--from "yesterday" is not an instant; use ISO-8601/],
  ])('refuses the instant %s', (value, message) => {
    expect(() => parseBoundedInstant('--from', value)).toThrow(message);
  });
});
