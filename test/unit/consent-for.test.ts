import { describe, expect, it } from 'vitest';
import {
  consentAnswer,
  CONSENT_RULES,
  consentAt,
  type ConsentRecord,
} from '../../src/consent/index.ts';

const grant = (
  basis: 'express' | 'implied-inquiry',
  occurredAt: string,
  expiresAt: string | null = null,
): ConsentRecord => ({
  kind: 'granted',
  basis,
  source: basis === 'express' ? 'keyword' : 'call',
  channel: null,
  occurredAt,
  expiresAt,
  eventId: `g-${occurredAt}`,
});
const revoke = (occurredAt: string): ConsentRecord => ({
  kind: 'revoked',
  basis: null,
  source: null,
  channel: 'keyword',
  occurredAt,
  expiresAt: null,
  eventId: `r-${occurredAt}`,
});
const inquiry = grant('implied-inquiry', '2026-01-10T15:00:00Z', '2026-07-10T15:00:00Z');
const NOW = '2026-03-01T12:00:00Z';

/** Given an opt-out (gate or lead state) and a ledger history, the answer at NOW. */
const table: Array<[string, boolean, ConsentRecord[], string, boolean]> = [
  ['nothing on record', false, [], 'none', false],
  ['an inquiry two months ago', false, [inquiry], 'implied', true],
  [
    'an inquiry whose six months have passed',
    false,
    [grant('implied-inquiry', '2025-08-01T15:00:00Z', '2026-02-01T15:00:00Z')],
    'none',
    false,
  ],
  ['express consent (START)', false, [grant('express', '2026-02-01T10:00:00Z')], 'express', true],
  [
    'revoked on the ledger, the gate not yet told',
    false,
    [inquiry, revoke('2026-02-01T10:00:00Z')],
    'none',
    false,
  ],
  [
    'opted out, whatever the ledger holds',
    true,
    [grant('express', '2026-02-01T10:00:00Z')],
    'opted-out',
    false,
  ],
];

describe('consentAnswer', () => {
  it.each(table)('%s → %s', (_name, optedOut, records, status, maySolicit) => {
    const answer = consentAnswer(optedOut, consentAt(records, NOW));
    expect(answer.status).toBe(status);
    expect(answer.optedOut).toBe(optedOut);
    expect(answer.maySolicit).toBe(maySolicit);
    expect(answer.rule).toBe(CONSENT_RULES[answer.status]);
  });

  it('keeps the ledger reason when not opted out, and names the opt-out otherwise', () => {
    const ledger = consentAt([inquiry], NOW);
    expect(consentAnswer(false, ledger).reason).toBe(ledger.reason);
    expect(consentAnswer(false, ledger).basis).toBe('implied-inquiry');
    expect(consentAnswer(true, ledger)).toMatchObject({
      basis: null,
      reason: 'opted out: no text until an express opt-in',
    });
  });
});
