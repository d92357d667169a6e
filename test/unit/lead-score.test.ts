import { describe, expect, it } from 'vitest';
import { leadScore, type LeadFacts } from '../../src/rules/lead-score.ts';

/** A fresh lead: one missed call, no text, contacted just now. */
const fresh: LeadFacts = {
  status: 'new',
  optedOut: false,
  missedCalls: 1,
  messagesIn: 0,
  emergencies: 0,
  hoursSinceContact: 0,
};

describe('leadScore: how worth calling back a lead is (0–100)', () => {
  it.each<[string, Partial<LeadFacts>, number]>([
    ['a booked job outranks everything', { status: 'booked', optedOut: true }, 100],
    ['a lost lead is not worth a call', { status: 'lost', emergencies: 3 }, 0],
    ['an opted-out lead is not worth a call', { optedOut: true, emergencies: 1 }, 0],
    ['one missed call, no text: 20 + 10', {}, 30],
    ['no missed call at all: the base 20', { missedCalls: 0 }, 20],
    ['missed calls count 10 each', { missedCalls: 2 }, 40],
    ['missed calls count 30 at most', { missedCalls: 9 }, 50],
    ['a lead that wrote to us: +10', { messagesIn: 4 }, 40],
    ['an EMERGENCY text: +40', { emergencies: 1, messagesIn: 1 }, 80],
    ['being contacted does not change the score', { status: 'contacted' }, 30],
    ['23 hours without contact costs nothing yet', { hoursSinceContact: 23 }, 30],
    ['each whole day without contact: -10', { hoursSinceContact: 48 }, 10],
    ['days without contact cost 30 at most', { missedCalls: 3, hoursSinceContact: 24 * 30 }, 20],
    ['never below 0', { missedCalls: 0, hoursSinceContact: 24 * 5 }, 0],
    [
      'every bonus at once: 20 + 40 + 30 + 10 = 100',
      { emergencies: 2, missedCalls: 5, messagesIn: 9, hoursSinceContact: 0 },
      100,
    ],
  ])('%s', (_what, facts, expected) => {
    expect(leadScore({ ...fresh, ...facts })).toBe(expected);
  });
});
