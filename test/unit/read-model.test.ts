import { describe, expect, it } from 'vitest';
import { periodIn } from '../../src/projections/dashboard/read-model.ts';
import { leadScore, type LeadFacts } from '../../src/rules/lead-score.ts';

describe("periods in the tenant's zone", () => {
  it('today by default, as UTC bounds of the local day', () => {
    expect(periodIn('America/Toronto', new Date('2026-07-16T02:00:00Z'))).toEqual({
      from: '2026-07-15T04:00:00.000Z',
      to: '2026-07-16T04:00:00.000Z',
      localFrom: '2026-07-15',
      localTo: '2026-07-15',
    });
  });

  it('a day with a DST change lasts 25 hours', () => {
    const p = periodIn('America/Toronto', new Date(), '2026-11-01');
    expect(Date.parse(p.to) - Date.parse(p.from)).toBe(25 * 3_600_000);
  });

  it('refuses dates that are not dates, and ranges that end first', () => {
    expect(() => periodIn('UTC', new Date(), '2026-13-01')).toThrow('"2026-13-01" is not a date');
    expect(() => periodIn('UTC', new Date(), '2026-05-02', '2026-05-01')).toThrow(
      'to is before from',
    );
  });
});

describe('lead score', () => {
  const base: LeadFacts = {
    status: 'new',
    optedOut: false,
    missedCalls: 0,
    messagesIn: 0,
    emergencies: 0,
    hoursSinceContact: 1,
  };
  it.each([
    ['a new lead', {}, 20],
    [
      'an emergency with two missed calls who wrote',
      { emergencies: 1, missedCalls: 2, messagesIn: 1 },
      90,
    ],
    ['three days quiet', { missedCalls: 1, hoursSinceContact: 72 }, 0],
    ['booked', { status: 'booked' as const, optedOut: true }, 100],
    ['opted out', { optedOut: true, emergencies: 1 }, 0],
    ['lost', { status: 'lost' as const, emergencies: 1 }, 0],
  ])('%s scores %i', (_label, facts, score) => {
    expect(leadScore({ ...base, ...facts })).toBe(score);
  });
});
