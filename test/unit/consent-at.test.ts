import { describe, expect, it } from 'vitest';
import { consentAt, type ConsentRecord } from '../../src/consent/consent-at.ts';
import { consentExpiresAt } from '../../src/consent/expiry.ts';

const TZ = 'America/Toronto';
let n = 0;
const grant = (
  basis: ConsentRecord['basis'],
  occurredAt: string,
  source = basis === 'express' ? 'keyword' : 'call',
): ConsentRecord => ({
  kind: 'granted',
  basis,
  source,
  channel: null,
  occurredAt,
  expiresAt: consentExpiresAt(basis!, occurredAt, TZ),
  eventId: `e${++n}`,
});
const revoke = (occurredAt: string, channel = 'keyword'): ConsentRecord => ({
  kind: 'revoked',
  basis: null,
  source: null,
  channel,
  occurredAt,
  expiresAt: null,
  eventId: `e${++n}`,
});

describe('consent expiry (CASL s.10(10))', () => {
  it('an inquiry lasts exactly 6 months, local wall time, across the DST change', () => {
    // 10:00 EDT on 15 May → 10:00 EST on 15 Nov: 15:00Z, an hour later in UTC.
    expect(consentExpiresAt('implied-inquiry', '2026-05-15T14:00:00.000Z', TZ)).toBe(
      '2026-11-15T15:00:00.000Z',
    );
    const history = [grant('implied-inquiry', '2026-05-15T14:00:00.000Z')];
    expect(consentAt(history, '2026-11-15T14:59:59.999Z').valid).toBe(true);
    expect(consentAt(history, '2026-11-15T15:00:00.000Z')).toMatchObject({
      valid: false,
      reason: 'implied-inquiry consent expired 2026-11-15T15:00:00.000Z',
    });
  });

  it('a business relationship lasts exactly 2 years, across DST (winter to summer)', () => {
    // 09:30 EST on 10 Jan 2026 → 09:30 EST on 10 Jan 2028; and a March start into summer time.
    expect(consentExpiresAt('implied-business-relationship', '2026-01-10T14:30:00.000Z', TZ)).toBe(
      '2028-01-10T14:30:00.000Z',
    );
    const march = grant('implied-business-relationship', '2026-03-01T15:00:00.000Z'); // 10:00 EST
    expect(march.expiresAt).toBe('2028-03-01T15:00:00.000Z');
    expect(consentAt([march], '2028-03-01T14:59:59.000Z').valid).toBe(true);
    expect(consentAt([march], '2028-03-01T15:00:00.000Z').valid).toBe(false);
  });

  it('a day the month lacks becomes its last day', () => {
    expect(consentExpiresAt('implied-inquiry', '2026-08-31T16:00:00.000Z', TZ)).toBe(
      '2027-02-28T17:00:00.000Z',
    );
  });

  it('express consent does not expire', () => {
    expect(consentExpiresAt('express', '2026-08-31T16:00:00.000Z', TZ)).toBeNull();
  });
});

describe('consent at an instant', () => {
  it('no record: no consent', () => {
    expect(consentAt([], '2026-06-01T00:00:00Z')).toMatchObject({
      valid: false,
      reason: 'no consent on record',
    });
  });

  it('a later inquiry renews implied consent', () => {
    const history = [
      grant('implied-inquiry', '2026-01-05T15:00:00.000Z'),
      grant('implied-inquiry', '2026-05-05T14:00:00.000Z', 'sms'),
    ];
    const verdict = consentAt(history, '2026-09-01T12:00:00.000Z');
    expect(verdict).toMatchObject({ valid: true, basis: 'implied-inquiry' });
    expect(verdict.record!.source).toBe('sms');
  });

  it('a revocation ends consent at once, and a later inquiry does not restore it', () => {
    const history = [
      grant('implied-inquiry', '2026-05-01T14:00:00.000Z'),
      revoke('2026-05-02T14:00:00.000Z'),
      grant('implied-inquiry', '2026-05-03T14:00:00.000Z'),
    ];
    expect(consentAt(history, '2026-05-01T20:00:00.000Z').valid).toBe(true);
    expect(consentAt(history, '2026-05-02T14:00:00.000Z')).toMatchObject({ valid: false });
    const after = consentAt(history, '2026-05-04T00:00:00.000Z');
    expect(after.valid).toBe(false);
    expect(after.reason).toMatch(/^revoked 2026-05-02T14:00:00.000Z \(keyword\)/);
  });

  it('only a new express opt-in restores consent after a revocation, until revoked again', () => {
    const history = [
      revoke('2026-05-02T14:00:00.000Z'),
      grant('express', '2026-05-10T14:00:00.000Z'),
      revoke('2027-05-10T14:00:00.000Z', 'carrier-error-21610'),
    ];
    expect(consentAt(history, '2026-12-01T00:00:00.000Z')).toMatchObject({
      valid: true,
      basis: 'express',
    });
    expect(consentAt(history, '2027-06-01T00:00:00.000Z').reason).toContain('carrier-error-21610');
  });
});
