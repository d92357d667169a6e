import { describe, expect, it } from 'vitest';
import type { EventType, RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent, type NewEventInput } from '../../src/events/new-event.ts';
import { decide } from '../../src/processors/lead-conversation/decide.ts';
import {
  evolve,
  initialLeadState,
  remember,
  type LeadState,
} from '../../src/processors/lead-conversation/state.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import { testTenant } from '../support/tenant-fixture.ts';
import { copy } from '../../src/rules/message-copy.ts';
import { leadRef } from '../../src/rules/lead-ref.ts';

// The qualifying assistant (issue 16) is off: these are the rules without it (acknowledgement,
// alerts, reviews); test/unit/qualifying-assistant.test.ts decides with it on.
const tenant: Tenant = testTenant({ qualifyingQuestions: 0 });
/** How every owner alert about the lead ends: its reference, for replies. */
const HINT = ` ${copy.replyHint(leadRef('t1', '+16475550123'))}`;
const CALLER = '+16475550123';
const T0 = Date.parse('2026-06-01T14:00:00Z');
let position = 0;

/** An event of the lead's stream, `minutes` after T0. */
function event<T extends EventType>(
  type: T,
  data: NewEventInput<T>['data'],
  key: string,
  minutes = 0,
) {
  const at = new Date(T0 + minutes * 60_000);
  return {
    ...newEvent(
      {
        type,
        data,
        streamId: `lead:t1:${CALLER}`,
        tenantId: 't1',
        idempotencyKey: key,
        occurredAt: at,
      },
      fixedClock(at),
    ),
    position: String(++position),
  } as RecordedLeadlineEvent;
}

const received = (
  callSid: string,
  action: 'ring-owner' | 'after-hours-notice' = 'ring-owner',
  minutes = 0,
) =>
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
    minutes,
  );
const missed = (callSid: string, minutes = 0, dialCallStatus: 'busy' | 'no-answer' = 'no-answer') =>
  event(
    'DialMissed',
    {
      callSid,
      dialCallSid: null,
      dialCallStatus,
      reason: 'not-answered',
      dialCallDurationSeconds: null,
      leg: 'owner',
    },
    callSid,
    minutes,
  );
const answered = (callSid: string) =>
  event(
    'DialAnswered',
    {
      callSid,
      dialCallSid: null,
      dialCallStatus: 'completed',
      dialCallDurationSeconds: 40,
      leg: 'owner',
    },
    callSid,
  );
/** An MMS attachment as Twilio reports it (`MediaUrl{N}`, `MediaContentType{N}`). */
const photo = (n: number, contentType: string | null = 'image/jpeg') => ({
  url: `https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME${n}`,
  contentType,
});
const sms = (
  messageSid: string,
  body: string,
  keyword: 'opt-out' | 'opt-in' | 'help' | null = null,
  extra: {
    optOutType?: string;
    autoReply?: boolean;
    urgency?: 'EMERGENCY' | 'STANDARD';
    media?: Array<{ url: string; contentType: string | null }>;
  } = {},
  minutes = 0,
) =>
  event(
    'SmsInbound',
    {
      messageSid,
      from: CALLER,
      to: tenant.twilioNumber,
      body,
      media: extra.media ?? [],
      keyword,
      optOutType: extra.optOutType ?? null,
      autoReply: extra.autoReply ?? false,
      urgency: extra.urgency ?? 'STANDARD',
    },
    messageSid,
    minutes,
  );
const revoked = (messageSid: string) =>
  event(
    'ConsentRevoked',
    { phone: CALLER, channel: 'keyword', text: 'STOP', evidence: { messageSid } },
    `${messageSid}r`,
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
    `${messageSid}g`,
  );

/**
 * Given the events so far (run through decide/evolve/remember as the processor does), when
 * `next` arrives, then these texts (`when`) or this whole decision (`decision`).
 */
function given(...history: RecordedLeadlineEvent[]) {
  return givenFor(tenant, ...history);
}
function givenFor(t: Tenant, ...history: RecordedLeadlineEvent[]) {
  let state: LeadState = initialLeadState();
  for (const e of history) state = remember(evolve(state, e), decide(state, e, t), e.occurredAt);
  return {
    when: (next: RecordedLeadlineEvent) => decide(state, next, t).intents,
    decision: (next: RecordedLeadlineEvent) => decide(state, next, t),
  };
}
const purposes = (intents: Array<{ audience: string; purpose: string }>) =>
  intents.map((i) => `${i.audience}:${i.purpose}`);

describe('lead-conversation decisions', () => {
  it('a missed call texts the caller once and alerts the owner once; the first text ever adds the rates notice', () => {
    const intents = given(received('CA1')).when(missed('CA1'));
    expect(intents.map((i) => [i.audience, i.purpose, i.to, i.dedupeKey])).toEqual([
      ['lead', 'missed-call-text', CALLER, 'CA1:missed-call-text'],
      ['owner', 'owner-alert', tenant.ownerPhone, 'CA1:owner-alert'],
    ]);
    expect(intents[0]!.body).toContain('Maple Plumbing');
    expect(intents[0]!.body).toContain('Msg & data rates may apply. Reply STOP to opt out.');
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

  it('three calls in ten minutes are one lead and one text; the owner hears of each', () => {
    const history = [
      received('CA1', 'ring-owner', 0),
      missed('CA1', 0),
      received('CA2', 'ring-owner', 4),
      missed('CA2', 4),
    ];
    expect(purposes(given(...history.slice(0, 2), history[2]!).when(history[3]!))).toEqual([
      'owner:owner-alert',
    ]);
    const third = given(...history, received('CA3', 'ring-owner', 9)).when(missed('CA3', 9));
    expect(purposes(third)).toEqual(['owner:owner-alert']);
    expect(third[0]!.body).toMatch(/called again/);
    // Eleven minutes after the text, a new call is a new conversation; the text is the short one.
    const later = given(...history, received('CA4', 'ring-owner', 11)).when(missed('CA4', 11));
    expect(purposes(later)).toEqual(['lead:missed-call-text', 'owner:owner-alert']);
    expect(later[0]!.body).not.toContain('Msg & data rates');
  });

  it('after hours, the call itself is the miss', () => {
    const intents = given().when(received('CA2', 'after-hours-notice'));
    expect(purposes(intents)).toEqual(['lead:missed-call-text', 'owner:owner-alert']);
    expect(intents[1]!.body).toContain('after hours');
  });

  it('an opted-out caller is not texted, but the owner is alerted and told to call back', () => {
    const intents = given(sms('SM1', 'STOP', 'opt-out'), revoked('SM1'), received('CA3')).when(
      missed('CA3', 0, 'busy'),
    );
    expect(purposes(intents)).toEqual(['owner:owner-alert']);
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

  it("with Twilio's Advanced Opt-Out (OptOutType), Twilio already replied: no confirmation, no help text", () => {
    expect(given().when(sms('SM1', 'STOP', 'opt-out', { optOutType: 'STOP' }))).toEqual([]);
    expect(given().when(sms('SM2', 'HELP', 'help', { optOutType: 'HELP' }))).toEqual([]);
    const history = [sms('SM1', 'STOP', 'opt-out', { optOutType: 'STOP' }), revoked('SM1')];
    expect(given(...history).when(sms('SM3', 'START', 'opt-in', { optOutType: 'START' }))).toEqual(
      [],
    );
    // The consent change is still honoured.
    expect(purposes(given(...history, received('CA9')).when(missed('CA9')))).toEqual([
      'owner:owner-alert',
    ]);
  });

  it('START after STOP is confirmed and texts resume', () => {
    const history = [sms('SM1', 'STOP', 'opt-out'), revoked('SM1')];
    expect(purposes(given(...history).when(sms('SM2', 'START', 'opt-in')))).toEqual([
      'lead:opt-in-confirmation',
    ]);
    const after = given(
      ...history,
      sms('SM2', 'START', 'opt-in'),
      granted('SM2'),
      received('CA4'),
    ).when(missed('CA4'));
    expect(purposes(after)).toEqual(['lead:missed-call-text', 'owner:owner-alert']);
  });

  it('HELP is answered with the business name and how to opt out, even after an opt-out', () => {
    const intents = given(sms('SM1', 'STOP', 'opt-out'), revoked('SM1')).when(
      sms('SM2', 'HELP', 'help'),
    );
    expect(intents).toHaveLength(1);
    expect(intents[0]!.consentExempt).toBe(true);
    expect(intents[0]!.body).toMatch(/Maple Plumbing.*STOP/);
  });

  it('a text is acknowledged once per conversation window (12 h), not once per text', () => {
    const first = sms('SM5', 'Water heater leaking, can you come today?', null, {}, 0);
    expect(purposes(given().when(first))).toEqual(['lead:acknowledgement']);
    expect(purposes(given(first).when(sms('SM6', 'Hello?', null, {}, 20)))).toEqual([]);
    const nextDay = given(first).when(sms('SM7', 'Are you still coming?', null, {}, 13 * 60));
    expect(purposes(nextDay)).toEqual(['lead:acknowledgement']);
  });

  describe('owner alerts for texts: grouped over the debounce window, EMERGENCY at once', () => {
    const elapsed = (batchId: string, minutes: number) =>
      event(
        'TimerElapsed',
        {
          timerId: `owner-alert-batch:lead:t1:${CALLER}:${batchId}`,
          kind: 'owner-alert-batch',
          key: batchId,
          dueAt: new Date(T0 + minutes * 60_000).toISOString(),
        },
        `${batchId}@${minutes}`,
        minutes,
      );
    const seconds = (s: number) => s / 60;

    it('a STANDARD text waits 30 s on a durable timer, then reaches the owner', () => {
      const first = sms('SM1', 'Water heater leaking, can you come today?');
      const decision = given().decision(first);
      expect(decision.timers).toEqual([
        {
          timerId: `owner-alert-batch:lead:t1:${CALLER}:SM1`,
          kind: 'owner-alert-batch',
          key: 'SM1',
          dueAt: new Date(T0 + 30_000).toISOString(),
        },
      ]);
      const alert = given(first).when(elapsed('SM1', seconds(30)));
      expect(alert.map((i) => [i.audience, i.dedupeKey])).toEqual([['owner', 'SM1:owner-alert']]);
      expect(alert[0]!.body).toBe(
        'STANDARD: text from (647) 555-0123: "Water heater leaking, can you come today?"' + HINT,
      );
    });

    it('texts within the window become one alert listing them all, with their photos', () => {
      const texts = [
        sms('SM1', 'Hi', null, {}, 0),
        sms(
          'SM2',
          'My kitchen sink is clogged',
          null,
          { media: [photo(1), photo(2)] },
          seconds(20),
        ),
        sms('SM3', 'Can you come Tuesday?', null, {}, seconds(45)),
      ];
      const last = given(...texts.slice(0, 2)).decision(texts[2]!);
      expect(last.timers[0]!.dueAt).toBe(new Date(T0 + 75_000).toISOString()); // 45 s + 30 s
      expect(given(...texts).when(elapsed('SM1', seconds(30)))).toHaveLength(1); // stale due time is still this batch
      const alert = given(...texts).when(elapsed('SM1', seconds(75)));
      expect(alert).toHaveLength(1);
      expect(alert[0]!.body).toBe(
        'STANDARD: 3 texts from (647) 555-0123: "Hi" / "My kitchen sink is clogged" / "Can you come Tuesday?" (+2 photos)' +
          HINT,
      );
      // The batch is gone: the timer firing again changes nothing.
      expect(
        given(...texts, elapsed('SM1', seconds(75))).when(elapsed('SM1', seconds(76))),
      ).toEqual([]);
    });

    it('a chatty lead cannot postpone the alert past the maximum wait (5 min)', () => {
      const texts = Array.from({ length: 20 }, (_, i) =>
        sms(`SM${i}`, `text ${i}`, null, {}, seconds(i * 20)),
      );
      const decision = given(...texts.slice(0, 19)).decision(texts[19]!);
      expect(decision.timers[0]!.dueAt).toBe(new Date(T0 + 300_000).toISOString());
    });

    it('an EMERGENCY is never delayed, and takes the texts already waiting with it', () => {
      const waiting = sms('SM1', 'Hi are you there', null, {}, 0);
      const emergency = sms(
        'SM2',
        'Basement is flooding now!',
        null,
        { urgency: 'EMERGENCY' },
        0.1,
      );
      const decision = given(waiting).decision(emergency);
      expect(decision.timers).toEqual([]);
      expect(decision.pendingAlert).toBeNull();
      expect(decision.intents.map((i) => [i.audience, i.dedupeKey])).toEqual([
        ['owner', 'SM2:owner-alert'],
      ]);
      expect(decision.intents[0]!.body).toBe(
        'EMERGENCY: 2 texts from (647) 555-0123: "Hi are you there" / "Basement is flooding now!"' +
          HINT,
      );
      expect(given(waiting, emergency).when(elapsed('SM1', seconds(30)))).toEqual([]);
    });

    it('the alert says what was attached: photos, videos and other files, by MIME type', () => {
      const decision = given().decision(
        sms(
          'SM1',
          'Pipe burst, see attached',
          null,
          {
            urgency: 'EMERGENCY',
            media: [
              photo(1, 'image/jpeg'),
              photo(2, 'video/mp4'),
              photo(3, 'image/png'),
              photo(4, 'application/pdf'),
              photo(5, null), // recorded before types were (SmsInbound version 1): a photo
            ],
          },
          0,
        ),
      );
      expect(decision.intents.find((i) => i.audience === 'owner')!.body).toBe(
        'EMERGENCY: text from (647) 555-0123: "Pipe burst, see attached" (+3 photos, +1 video, +1 file)' +
          HINT,
      );
    });

    it('a batch saved before videos and files were counted still alerts with its photos', () => {
      const legacy: LeadState = {
        ...initialLeadState(),
        pendingAlert: {
          batchId: 'SM1',
          firstAt: new Date(T0).toISOString(),
          dueAt: new Date(T0 + 30_000).toISOString(),
          texts: [{ messageSid: 'SM1', body: 'Leak under the sink', photos: 1 }],
        },
      };
      const decision = decide(legacy, elapsed('SM1', seconds(30)), tenant);
      expect(decision.intents[0]!.body).toBe(
        'STANDARD: text from (647) 555-0123: "Leak under the sink" (+1 photo)' + HINT,
      );
    });

    it('a tenant with the window set to 0 is alerted of every text at once', () => {
      const intents = givenFor(
        testTenant({ alertDebounceSeconds: 0, qualifyingQuestions: 0 }),
      ).when(sms('SM1', 'Hi'));
      expect(purposes(intents)).toEqual(['lead:acknowledgement', 'owner:owner-alert']);
    });
  });

  it('a missed-call text that bounced as a landline (30006) tells the owner to call back, once; the number is not texted again', () => {
    const history = [received('CA1'), missed('CA1')];
    const bounced = (code: string) =>
      event(
        'OutboundSmsStatusUpdated',
        {
          outboxId: 'o1',
          messageSid: 'SM9',
          status: 'undelivered',
          errorCode: code,
          audience: 'lead',
          purpose: 'missed-call-text',
        },
        `SM9:${code}`,
        1,
      );
    const alert = given(...history).when(bounced('30006'));
    expect(purposes(alert)).toEqual(['owner:owner-alert']);
    expect(alert[0]!.body).toMatch(/landline.*call them back/);
    const later = given(...history, bounced('30006'), received('CA2', 'ring-owner', 30)).when(
      missed('CA2', 30),
    );
    expect(purposes(later)).toEqual(['owner:owner-alert']);
    expect(later[0]!.body).toMatch(/cannot receive texts: call them back/);
    expect(given(...history).when(bounced('30003'))).toEqual([]);
  });

  it('automatic replies are recorded and never answered', () => {
    const reply = sms('SM8', "I'm driving with Driving Focus turned on.", null, {
      autoReply: true,
    });
    expect(given(received('CA1'), missed('CA1')).when(reply)).toEqual([]);
  });

  describe('after hours with emergency mode', () => {
    const menu = (callSid: string) =>
      event(
        'CallReceived',
        {
          callSid,
          from: CALLER,
          to: tenant.twilioNumber,
          callStatus: 'ringing',
          mode: 'after-hours',
          action: 'emergency-menu',
        },
        callSid,
      );
    const declined = (callSid: string) =>
      event('EmergencyDeclined', { callSid, digits: null }, `${callSid}:d`, 0.2);
    const escalated = (callSid: string) =>
      event('EmergencyEscalated', { callSid, onCallPhone: '+14165550177' }, `${callSid}:e`, 0.2);
    const onCall = (callSid: string, answered: boolean) =>
      answered
        ? event(
            'DialAnswered',
            {
              callSid,
              dialCallSid: null,
              dialCallStatus: 'completed',
              dialCallDurationSeconds: 90,
              leg: 'on-call',
            },
            `${callSid}:on-call`,
            0.5,
          )
        : event(
            'DialMissed',
            {
              callSid,
              dialCallSid: null,
              dialCallStatus: 'no-answer',
              reason: 'not-answered',
              dialCallDurationSeconds: null,
              leg: 'on-call',
            },
            `${callSid}:on-call`,
            0.5,
          );
    const menuTimeout = (callSid: string) =>
      event(
        'TimerElapsed',
        {
          timerId: `emergency-menu-timeout:${callSid}`,
          kind: 'emergency-menu-timeout',
          key: callSid,
          dueAt: new Date(T0 + 120_000).toISOString(),
        },
        `${callSid}:t`,
        2,
      );

    it('the menu itself sends nothing and sets a 2-minute timer for a caller who hangs up', () => {
      const decision = given().decision(menu('CA1'));
      expect(decision.intents).toEqual([]);
      expect(decision.timers).toEqual([
        expect.objectContaining({
          kind: 'emergency-menu-timeout',
          key: 'CA1',
          dueAt: new Date(T0 + 120_000).toISOString(),
        }),
      ]);
    });

    it('not pressing 1 falls through to the after-hours text and alert, once', () => {
      expect(purposes(given(menu('CA1')).when(declined('CA1')))).toEqual([
        'lead:missed-call-text',
        'owner:owner-alert',
      ]);
      expect(given(menu('CA1'), declined('CA1')).when(menuTimeout('CA1'))).toEqual([]);
    });

    it('hanging up at the menu is noticed by the timer: after-hours text and alert', () => {
      const intents = given(menu('CA1')).when(menuTimeout('CA1'));
      expect(purposes(intents)).toEqual(['lead:missed-call-text', 'owner:owner-alert']);
      expect(intents[1]!.body).toContain('hung up at the menu');
    });

    it('pressing 1 and the on-call phone answering: nothing is sent, even when the timer fires', () => {
      const history = [menu('CA1'), escalated('CA1'), onCall('CA1', true)];
      expect(given(menu('CA1')).when(escalated('CA1'))).toEqual([]);
      expect(given(...history).when(menuTimeout('CA1'))).toEqual([]);
    });

    it('pressing 1 and the on-call phone missing too: an apology text and an EMERGENCY alert', () => {
      const intents = given(menu('CA1'), escalated('CA1')).when(onCall('CA1', false));
      expect(intents.map((i) => [i.audience, i.dedupeKey])).toEqual([
        ['lead', 'CA1:missed-call-text'],
        ['owner', 'CA1:emergency-alert'],
      ]);
      expect(intents[0]!.body).toMatch(/on-call technician couldn't pick up/);
      expect(intents[1]!.body).toMatch(
        /^EMERGENCY: \(647\) 555-0123 pressed 1 for an emergency at 10:00 AM and the on-call phone did not answer/,
      );
      expect(
        given(menu('CA1'), escalated('CA1'), onCall('CA1', false)).when(onCall('CA1', false)),
      ).toEqual([]);
    });
  });

  it('a screened call nobody pressed 1 for is a missed call, and the owner is told why', () => {
    const screenedOut = event(
      'DialMissed',
      {
        callSid: 'CA7',
        dialCallSid: null,
        dialCallStatus: 'completed',
        reason: 'not-screened-in',
        dialCallDurationSeconds: 20,
        leg: 'owner',
      },
      'CA7',
    );
    const intents = given(received('CA7')).when(screenedOut);
    expect(purposes(intents)).toEqual(['lead:missed-call-text', 'owner:owner-alert']);
    expect(intents[1]!.body).toContain('nobody pressed 1 to take it');
  });

  describe('review flow', () => {
    const requested = (requestId: string, minutes = 0) =>
      event(
        'ReviewRequested',
        { requestId, phone: CALLER, requestedBy: 'api', note: 'water heater swap' },
        requestId,
        minutes,
      );
    const withLink = testTenant({
      reviewLink: 'https://g.page/r/maple-plumbing/review',
      qualifyingQuestions: 0,
    });

    it('the request is one consent-gated text to the customer', () => {
      const intents = given().when(requested('R1'));
      expect(intents.map((i) => [i.purpose, i.consentExempt, i.dedupeKey])).toEqual([
        ['review-request', false, 'R1:review-request'],
      ]);
      expect(intents[0]!.body).toMatch(/Maple Plumbing.*How did we do\?.*STOP/);
    });

    it('a good reply (a bare YES included) gets the review link, only once', () => {
      const intents = givenFor(withLink, requested('R1')).when(sms('SM1', 'YES', 'opt-in', {}, 60));
      expect(intents.map((i) => [i.audience, i.purpose])).toEqual([['lead', 'review-reply']]);
      expect(intents[0]!.body).toContain('https://g.page/r/maple-plumbing/review');
      // The request is answered: the next "thanks!" is an ordinary message.
      const next = givenFor(withLink, requested('R1'), sms('SM1', 'YES', 'opt-in', {}, 60)).when(
        sms('SM2', 'Thanks again!', null, {}, 61),
      );
      expect(purposes(next)).toEqual(['lead:acknowledgement']);
    });

    it('without a review link configured, a good reply gets thanks and no link', () => {
      const intents = given(requested('R1')).when(sms('SM1', 'Great job', null, {}, 5));
      expect(intents).toHaveLength(1);
      expect(intents[0]!.body).not.toMatch(/https?:/);
    });

    it('a bad reply gets an apology and the owner an URGENT alert', () => {
      const intents = givenFor(withLink, requested('R1')).when(
        sms('SM1', 'Not happy, the tap is still leaking', null, {}, 30),
      );
      expect(intents.map((i) => [i.audience, i.purpose])).toEqual([
        ['lead', 'review-reply'],
        ['owner', 'owner-alert'],
      ]);
      expect(intents[0]!.body).not.toContain('g.page');
      expect(intents[1]!.body).toMatch(/^URGENT: \(647\) 555-0123 is unhappy/);
    });

    it('a YES with no pending review request is not a review', () => {
      expect(purposes(givenFor(withLink).when(sms('SM1', 'YES', 'opt-in')))).toEqual([
        'lead:acknowledgement',
      ]);
    });

    it('a YES from an opted-out customer is the carrier opt-in, even with a request pending', () => {
      const intents = given(requested('R1'), sms('SM0', 'STOP', 'opt-out'), revoked('SM0')).when(
        sms('SM1', 'YES', 'opt-in', {}, 10),
      );
      expect(purposes(intents)).toEqual(['lead:opt-in-confirmation']);
    });

    it('a reply more than 7 days later is an ordinary message', () => {
      const intents = givenFor(withLink, requested('R1')).when(
        sms('SM1', 'Great job', null, {}, 8 * 24 * 60),
      );
      expect(purposes(intents)).toEqual(['lead:acknowledgement']);
    });
  });

  describe('texts that failed for good', () => {
    const failed = (outboxId: string, purpose: string, minutes: number) =>
      event(
        'OutboundSmsFailed',
        {
          outboxId,
          dedupeKey: `${outboxId}:k`,
          purpose,
          audience: 'lead',
          to: CALLER,
          from: tenant.twilioNumber,
          body: 'x',
          errorCode: '20500',
          errorMessage: 'Internal Server Error',
          attempts: 8,
        },
        outboxId,
        minutes,
      );

    it('the owner is told once per conversation window, naming the error', () => {
      const intents = given().when(failed('o1', 'missed-call-text', 0));
      expect(intents.map((i) => [i.audience, i.purpose, i.dedupeKey])).toEqual([
        ['owner', 'send-failure-alert', 'o1:send-failure-alert'],
      ]);
      expect(intents[0]!.body).toBe(
        'Leadline: we could not text (647) 555-0123 (Twilio error 20500) after 8 tries. Please call them back.' +
          HINT,
      );
      expect(
        given(failed('o1', 'missed-call-text', 0)).when(failed('o2', 'acknowledgement', 5)),
      ).toEqual([]);
      expect(
        purposes(
          given(failed('o1', 'missed-call-text', 0)).when(failed('o3', 'acknowledgement', 13 * 60)),
        ),
      ).toEqual(['owner:send-failure-alert']);
    });

    it('a failed opt-out confirmation or HELP answer is not worth an alert', () => {
      expect(given().when(failed('o1', 'opt-out-confirmation', 0))).toEqual([]);
      expect(given().when(failed('o2', 'help', 0))).toEqual([]);
    });
  });

  it('the opt-out confirmation must go within 5 minutes or not at all', () => {
    const [confirmation] = given().when(sms('SM1', 'STOP', 'opt-out'));
    expect(confirmation!.sendWithinMs).toBe(5 * 60_000);
  });
});
