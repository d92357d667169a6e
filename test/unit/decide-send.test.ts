import { describe, expect, it } from 'vitest';
import { consentAnswer, type ConsentVerdict } from '../../src/consent/index.ts';
import {
  carriesUnsubscribeLink,
  consentWithholds,
  decideSend,
  factsNeeded,
  LEDGER_CATCH_UP_MS,
  ledgerRecheckMs,
  mayAwaitLedger,
  type SendDecision,
  type SendFacts,
  type SendIntent,
  type WithholdReason,
} from '../../src/outbound/decide-send.ts';

const TORONTO = ['America/Toronto'];
const DAYTIME = { start: '08:00', end: '21:00' };
/** 10:00 in Toronto (EDT). */
const DAY = new Date('2026-06-01T14:00:00Z');
/** 23:00 in Toronto (EDT): quiet hours until 08:00. */
const NIGHT = new Date('2026-06-02T03:00:00Z');
const NEXT_MORNING = new Date('2026-06-02T12:00:00Z');

const missedCallText: SendIntent = {
  audience: 'lead',
  purpose: 'missed-call-text',
  consentExempt: false,
  notAfter: null,
  respectsQuietHours: false,
  accepted: false,
  uncertain: false,
};
const reviewRequest: SendIntent = {
  ...missedCallText,
  purpose: 'review-request',
  respectsQuietHours: true,
};
const optOutConfirmation: SendIntent = {
  ...missedCallText,
  purpose: 'opt-out-confirmation',
  consentExempt: true,
  notAfter: new Date(DAY.getTime() - 60_000 + 5 * 60_000),
};
const ownerAlert: SendIntent = {
  ...missedCallText,
  audience: 'owner',
  purpose: 'owner-alert',
  consentExempt: true,
};

const verdict = (valid: boolean, reason: string): ConsentVerdict => ({
  valid,
  basis: valid ? 'implied-inquiry' : null,
  record: null,
  reason,
});
const implied = consentAnswer(
  false,
  verdict(true, 'implied-inquiry consent from call, valid until …'),
);
const lapsed = consentAnswer(false, verdict(false, 'implied-inquiry consent expired 2026-05-01'));
const optedOut = consentAnswer(
  true,
  verdict(true, 'implied-inquiry consent from call, valid until …'),
);
const underCap = { sent: 3, cap: 50, day: '2026-06-01' };
const atCap = { sent: 50, cap: 50, day: '2026-06-01' };

/** Facts for `intent` as a live sender gathers them when nothing objects. */
const allClear: SendFacts = {
  mode: 'live',
  consent: implied,
  quietHours: { timezones: TORONTO, allowed: DAYTIME },
  quota: underCap,
};

const send: SendDecision = { kind: 'send' };
const withheld = (reason: WithholdReason, detail: string | null = null): SendDecision => ({
  kind: 'withhold',
  reason,
  detail,
});

/**
 * Given a queued text (intent), when the sender knows these facts at this instant, then this
 * decision. One row per reason, and the rows that show which checks a retry or an exempt text
 * skips.
 */
const table: Array<[string, SendIntent, Partial<SendFacts>, Date, SendDecision]> = [
  // send
  ['a missed-call text, nothing objecting: send', missedCallText, {}, DAY, send],
  ['an owner alert: send', ownerAlert, {}, NIGHT, send],
  ['a review request by day with valid consent: send', reviewRequest, {}, DAY, send],
  // consent-revoked
  [
    'a lead who opted out: withhold consent-revoked',
    missedCallText,
    { consent: optedOut },
    DAY,
    withheld('consent-revoked'),
  ],
  [
    'opted out beats every later check (no consent, quiet hours, dry-run, quota)',
    reviewRequest,
    { consent: optedOut, mode: 'dry-run', quota: atCap },
    NIGHT,
    withheld('consent-revoked'),
  ],
  [
    'the opt-out confirmation is exempt from the opt-out: send',
    optOutConfirmation,
    { consent: optedOut },
    DAY,
    send,
  ],
  // no-valid-consent
  [
    'a review request without consent valid now: withhold no-valid-consent, with the ledger reason',
    reviewRequest,
    { consent: lapsed },
    DAY,
    withheld('no-valid-consent', lapsed.reason),
  ],
  [
    'a transactional text does not need consent on the ledger',
    missedCallText,
    { consent: lapsed },
    DAY,
    send,
  ],
  // expired
  [
    'the opt-out confirmation past its 5 minutes: withhold expired',
    optOutConfirmation,
    {},
    new Date(DAY.getTime() + 5 * 60_000),
    withheld('expired'),
  ],
  [
    'an uncertain retry past its limit is not expired (it may have gone out)',
    { ...optOutConfirmation, uncertain: true },
    {},
    new Date(DAY.getTime() + 5 * 60_000),
    send,
  ],
  [
    'an accepted attempt past its limit is not expired',
    { ...optOutConfirmation, accepted: true },
    {},
    new Date(DAY.getTime() + 5 * 60_000),
    send,
  ],
  // quiet-hours (defer)
  [
    'a review request at 23:00 local: defer to 08:00 local',
    reviewRequest,
    {},
    NIGHT,
    { kind: 'defer', reason: 'quiet-hours', until: NEXT_MORNING, timezones: TORONTO },
  ],
  [
    'quiet hours come before dry-run',
    reviewRequest,
    { mode: 'dry-run' },
    NIGHT,
    { kind: 'defer', reason: 'quiet-hours', until: NEXT_MORNING, timezones: TORONTO },
  ],
  [
    'a solicitation of an unknown tenant is not deferred',
    reviewRequest,
    { quietHours: null },
    NIGHT,
    send,
  ],
  [
    'an uncertain retry of a solicitation is not deferred',
    { ...reviewRequest, uncertain: true },
    {},
    NIGHT,
    send,
  ],
  ['a missed-call text at night is not deferred', missedCallText, {}, NIGHT, send],
  // dry-run
  ['dry-run: withhold dry-run', missedCallText, { mode: 'dry-run' }, DAY, withheld('dry-run')],
  [
    'dry-run comes before the quota',
    ownerAlert,
    { mode: 'dry-run', quota: atCap },
    DAY,
    withheld('dry-run'),
  ],
  [
    'dry-run withholds a retry too',
    { ...missedCallText, uncertain: true },
    { mode: 'dry-run' },
    DAY,
    withheld('dry-run'),
  ],
  // quota-exceeded
  [
    'the tenant at its daily cap for customers: withhold quota-exceeded',
    missedCallText,
    { quota: atCap },
    DAY,
    withheld('quota-exceeded'),
  ],
  [
    'the tenant at its owner alert cap: withhold quota-exceeded',
    ownerAlert,
    { quota: { sent: 21, cap: 20, day: '2026-06-01' } },
    DAY,
    withheld('quota-exceeded'),
  ],
  [
    'a text the rules require (opt-out confirmation) is not capped',
    optOutConfirmation,
    { quota: atCap },
    DAY,
    send,
  ],
  [
    'an uncertain retry is not capped',
    { ...missedCallText, uncertain: true },
    { quota: atCap },
    DAY,
    send,
  ],
  ['an unknown tenant has no cap', missedCallText, { quota: null }, DAY, send],
];

describe('decideSend', () => {
  it.each(table)('%s', (_name, intent, facts, now, expected) => {
    const needs = factsNeeded(intent, facts.mode ?? 'live');
    // Only the facts a sender would gather: the others stay undefined.
    const gathered = { ...allClear, ...facts };
    const only: SendFacts = {
      mode: gathered.mode,
      ...(needs.consent ? { consent: gathered.consent } : {}),
      ...(needs.quietHours ? { quietHours: gathered.quietHours } : {}),
      ...(needs.quota ? { quota: gathered.quota } : {}),
    };
    expect(decideSend(intent, only, now)).toEqual(expected);
  });

  it.each(table.filter(([, , facts]) => facts.consent !== undefined))(
    'consent alone decides exactly when it withholds: %s',
    (_name, intent, facts, now, expected) => {
      const byConsent =
        expected.kind === 'withhold' &&
        (expected.reason === 'consent-revoked' || expected.reason === 'no-valid-consent');
      expect(consentWithholds(intent, facts.consent!)).toBe(byConsent);
      if (byConsent) {
        // The sender stops gathering there: nothing else is needed to decide.
        const mode = facts.mode ?? 'live';
        expect(decideSend(intent, { mode, consent: facts.consent }, now)).toEqual(expected);
      }
    },
  );

  it('names a needed fact the sender did not gather', () => {
    expect(() => decideSend(missedCallText, { mode: 'live', quota: underCap }, DAY)).toThrow(
      /"consent" was not gathered/,
    );
  });

  it.each([
    [
      'an owner alert, live',
      ownerAlert,
      'live',
      { consent: false, quietHours: false, quota: true },
    ],
    [
      'a missed-call text, dry-run',
      missedCallText,
      'dry-run',
      { consent: true, quietHours: false, quota: false },
    ],
    [
      'the opt-out confirmation, live',
      optOutConfirmation,
      'live',
      { consent: false, quietHours: false, quota: false },
    ],
    [
      'a review request, live',
      reviewRequest,
      'live',
      { consent: true, quietHours: true, quota: true },
    ],
    [
      'an uncertain review request, live',
      { ...reviewRequest, uncertain: true },
      'live',
      { consent: true, quietHours: false, quota: false },
    ],
  ] as Array<[string, SendIntent, SendFacts['mode'], ReturnType<typeof factsNeeded>]>)(
    'facts needed: %s',
    (_name, intent, mode, expected) => {
      expect(factsNeeded(intent, mode)).toEqual(expected);
    },
  );

  it.each([
    ['a review request that goes out', reviewRequest, send, true],
    ['a review request deferred', reviewRequest, { kind: 'defer' } as SendDecision, true],
    ['a review request withheld in dry-run', reviewRequest, withheld('dry-run'), true],
    ['a review request withheld for consent', reviewRequest, withheld('no-valid-consent'), false],
    ['a review request to an opted-out number', reviewRequest, withheld('consent-revoked'), false],
    ['a missed-call text', missedCallText, send, false],
    ['an owner alert', ownerAlert, send, false],
  ] as Array<[string, SendIntent, SendDecision, boolean]>)(
    'unsubscribe link: %s',
    (_name, intent, decision, expected) => {
      expect(carriesUnsubscribeLink(intent, decision)).toBe(expected);
    },
  );
  it.each([
    ['withheld for no valid consent, just queued', withheld('no-valid-consent'), 0, true],
    [
      'withheld for no valid consent, queued a moment less than the bound ago',
      withheld('no-valid-consent'),
      LEDGER_CATCH_UP_MS - 1,
      true,
    ],
    [
      'withheld for no valid consent, queued the bound ago',
      withheld('no-valid-consent'),
      LEDGER_CATCH_UP_MS,
      false,
    ],
    ['withheld for an opt-out', withheld('consent-revoked'), 0, false],
    ['withheld in dry-run', withheld('dry-run'), 0, false],
    ['sent', send, 0, false],
  ] as Array<[string, SendDecision, number, boolean]>)(
    'may wait for the consent ledger: %s',
    (_name, decision, ageMs, expected) => {
      expect(mayAwaitLedger(decision, ageMs)).toBe(expected);
    },
  );
  it.each([
    [0, 500],
    [1_000, 500],
    [10_000, 2_500],
    [60_000, 15_000],
    [LEDGER_CATCH_UP_MS - 1, 30_000],
  ])('a text waiting for the ledger for %i ms is looked at again in %i ms', (waited, next) => {
    expect(ledgerRecheckMs(waited)).toBe(next);
  });
});
