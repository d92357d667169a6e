import { describe, expect, it } from 'vitest';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent, type NewEventInput } from '../../src/events/new-event.ts';
import type { EventType } from '../../src/events/catalogue.ts';
import { decide } from '../../src/processors/lead-conversation/decide.ts';
import {
  evolve,
  initialLeadState,
  type LeadState,
} from '../../src/processors/lead-conversation/state.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import type { E164 } from '../../src/shared/phone.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';

const tenant: Tenant = {
  tenantId: 't1',
  name: 'Maple Plumbing',
  twilioNumber: '+14165550100' as E164,
  ownerPhone: '+14165550199' as E164,
  timezone: 'America/Toronto',
  businessHours: { start: '07:00', end: '17:00' },
  emergencyPhone: null,
};
const CALLER = '+16475550123';
const clock = fixedClock('2026-06-01T14:00:00Z');
let position = 0;

function event<T extends EventType>(
  type: T,
  data: NewEventInput<T>['data'],
  key: string,
): RecordedLeadlineEvent {
  return {
    ...newEvent(
      { type, data, streamId: `lead:t1:${CALLER}`, tenantId: 't1', idempotencyKey: key },
      clock,
    ),
    position: String(++position),
  } as RecordedLeadlineEvent;
}

const received = (callSid: string, action: 'ring-owner' | 'after-hours-notice' = 'ring-owner') =>
  event(
    'CallReceived',
    {
      callSid,
      from: CALLER,
      to: tenant.twilioNumber,
      callStatus: 'ringing',
      mode: action === 'ring-owner' ? 'business-hours' : 'after-hours',
      action,
    },
    callSid,
  );
const missed = (
  callSid: string,
  dialCallStatus: 'busy' | 'no-answer' | 'failed' | 'canceled' = 'no-answer',
) => event('DialMissed', { callSid, dialCallSid: null, dialCallStatus }, callSid);
const answered = (callSid: string) =>
  event(
    'DialAnswered',
    { callSid, dialCallSid: null, dialCallStatus: 'completed', dialCallDurationSeconds: 40 },
    callSid,
  );
const sms = (
  messageSid: string,
  body: string,
  keyword: 'opt-out' | 'opt-in' | 'help' | null = null,
) =>
  event(
    'SmsInbound',
    {
      messageSid,
      from: CALLER,
      to: tenant.twilioNumber,
      body,
      numMedia: 0,
      mediaUrls: [],
      keyword,
    },
    messageSid,
  );
const revoked = (messageSid: string) =>
  event(
    'ConsentRevoked',
    { phone: CALLER, channel: 'keyword', text: 'STOP', evidence: { messageSid } },
    messageSid,
  );
const granted = (messageSid: string) =>
  event(
    'ConsentGranted',
    {
      phone: CALLER,
      basis: 'express',
      source: 'keyword',
      evidence: { messageSid },
      expiresAt: null,
    },
    messageSid,
  );

/** Given the events so far, when `next` arrives, then these texts are decided. */
function given(...history: RecordedLeadlineEvent[]) {
  const state: LeadState = history.reduce(evolve, initialLeadState());
  return { when: (next: RecordedLeadlineEvent) => decide(state, next, tenant).intents };
}

describe('lead-conversation decisions', () => {
  it('a missed call texts the caller once and alerts the owner once', () => {
    const intents = given(received('CA1')).when(missed('CA1'));
    expect(intents.map((i) => [i.audience, i.purpose, i.to, i.dedupeKey])).toEqual([
      ['lead', 'missed-call-text', CALLER, 'CA1:missed-call-text'],
      ['owner', 'owner-alert', tenant.ownerPhone, 'CA1:owner-alert'],
    ]);
    expect(intents[0]!.body).toContain('Maple Plumbing');
    expect(intents[0]!.body).toContain('Reply STOP to opt out');
    expect(intents[1]!.body).toContain('(647) 555-0123');
    expect(intents[1]!.body).toContain('10:00 AM'); // 14:00Z in Toronto, EDT
  });

  it('an answered call decides nothing, and a late "missed" callback after it decides nothing', () => {
    expect(given(received('CA1')).when(answered('CA1'))).toEqual([]);
    expect(given(received('CA1'), answered('CA1')).when(missed('CA1'))).toEqual([]);
  });

  it('a second missed callback for the same call decides nothing new', () => {
    expect(given(received('CA1'), missed('CA1')).when(missed('CA1'))).toEqual([]);
  });

  it('after hours, the call itself is the miss', () => {
    const intents = given().when(received('CA2', 'after-hours-notice'));
    expect(intents.map((i) => i.purpose)).toEqual(['missed-call-text', 'owner-alert']);
    expect(intents[1]!.body).toContain('after hours');
  });

  it('an opted-out caller is not texted, but the owner is alerted and told to call back', () => {
    const intents = given(sms('SM1', 'STOP', 'opt-out'), revoked('SM1'), received('CA3')).when(
      missed('CA3', 'busy'),
    );
    expect(intents.map((i) => i.audience)).toEqual(['owner']);
    expect(intents[0]!.body).toMatch(/opted out of texts: call them back/);
  });

  it('STOP is confirmed once, exempt from consent; a repeated STOP is not confirmed again', () => {
    const first = given().when(sms('SM1', 'STOP', 'opt-out'));
    expect(first.map((i) => [i.purpose, i.consentExempt])).toEqual([
      ['opt-out-confirmation', true],
    ]);
    expect(
      given(sms('SM1', 'STOP', 'opt-out'), revoked('SM1')).when(sms('SM2', 'stop', 'opt-out')),
    ).toEqual([]);
  });

  it('START after STOP is confirmed and texts resume', () => {
    const history = [sms('SM1', 'STOP', 'opt-out'), revoked('SM1')];
    expect(
      given(...history)
        .when(sms('SM2', 'START', 'opt-in'))
        .map((i) => i.purpose),
    ).toEqual(['opt-in-confirmation']);
    const after = given(
      ...history,
      sms('SM2', 'START', 'opt-in'),
      granted('SM2'),
      received('CA4'),
    ).when(missed('CA4'));
    expect(after.map((i) => i.purpose)).toEqual(['missed-call-text', 'owner-alert']);
  });

  it('HELP is answered with the business name and how to opt out, even after an opt-out', () => {
    const intents = given(sms('SM1', 'STOP', 'opt-out'), revoked('SM1')).when(
      sms('SM2', 'HELP', 'help'),
    );
    expect(intents).toHaveLength(1);
    expect(intents[0]!.consentExempt).toBe(true);
    expect(intents[0]!.body).toMatch(/Maple Plumbing.*STOP/);
  });

  it('any other text is acknowledged once and forwarded to the owner', () => {
    const intents = given().when(sms('SM5', 'Water heater leaking, can you come today?'));
    expect(intents.map((i) => [i.audience, i.purpose])).toEqual([
      ['lead', 'acknowledgement'],
      ['owner', 'owner-alert'],
    ]);
    expect(intents[1]!.body).toContain('Water heater leaking');
  });
});
