import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_HOURS, quietHoursDeferral } from '../../src/rules/quiet-hours.ts';
import { customerTimeZones } from '../../src/shared/phone-timezones.ts';

describe('quiet hours: solicitations wait for 08:00-21:00 in the customer’s zone', () => {
  const at = (iso: string) => new Date(iso);

  it('allows 08:00 to 20:59 local, and defers the rest to the next 08:00', () => {
    const toronto = ['America/Toronto'];
    expect(quietHoursDeferral(at('2026-07-15T12:00:00Z'), toronto, DEFAULT_ALLOWED_HOURS)).toBe(
      null,
    ); // 08:00 EDT
    expect(quietHoursDeferral(at('2026-07-16T00:59:00Z'), toronto, DEFAULT_ALLOWED_HOURS)).toBe(
      null,
    ); // 20:59 EDT
    expect(quietHoursDeferral(at('2026-07-16T01:00:00Z'), toronto, DEFAULT_ALLOWED_HOURS)).toEqual(
      at('2026-07-16T12:00:00Z'),
    ); // 21:00 EDT → 08:00 EDT next day
    expect(quietHoursDeferral(at('2026-07-16T10:30:20Z'), toronto, DEFAULT_ALLOWED_HOURS)).toEqual(
      at('2026-07-16T12:00:00Z'),
    ); // 06:30 EDT
  });

  it('follows DST: the morning after clocks go back, 08:00 is 13:00 UTC', () => {
    expect(
      quietHoursDeferral(at('2026-11-01T04:00:00Z'), ['America/Toronto'], DEFAULT_ALLOWED_HOURS),
    ).toEqual(at('2026-11-01T13:00:00Z'));
  });

  it('an area code spanning two zones must be inside the window in both', () => {
    // 07:30 in Chicago is 08:30 in Toronto: the western zone holds it back to 08:00 CDT.
    expect(
      quietHoursDeferral(
        at('2026-07-15T12:30:00Z'),
        ['America/Toronto', 'America/Chicago'],
        DEFAULT_ALLOWED_HOURS,
      ),
    ).toEqual(at('2026-07-15T13:00:00Z'));
  });

  it("honours a tenant's own window", () => {
    const window = { start: '09:30', end: '18:00' };
    expect(quietHoursDeferral(at('2026-07-15T13:00:00Z'), ['America/Toronto'], window)).toEqual(
      at('2026-07-15T13:30:00Z'),
    );
  });

  it("finds the customer's zone from the area code, else uses the tenant's", async () => {
    expect(await customerTimeZones('+16045550123', 'America/Toronto')).toEqual([
      'America/Vancouver',
    ]);
    expect(await customerTimeZones('+14165550123', 'America/Vancouver')).toEqual([
      'America/Toronto',
    ]);
    // 555 and toll-free numbers say nothing about where the customer is.
    expect(await customerTimeZones('+15555550123', 'America/Halifax')).toEqual(['America/Halifax']);
    expect(await customerTimeZones('+18005550123', 'America/Halifax')).toEqual(['America/Halifax']);
  });
});
