import { describe, expect, it } from 'vitest';
import type { EventType, RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent, type NewEventInput } from '../../src/events/new-event.ts';
import { decideOffLead } from '../../src/processors/lead-conversation/decide-off-lead.ts';
import { decide } from '../../src/processors/lead-conversation/decide.ts';
import {
  evolve,
  initialLeadState,
  remember,
  type LeadState,
} from '../../src/processors/lead-conversation/state.ts';
import { classifyCaller } from '../../src/rules/caller-id.ts';
import { leadRef, parseRelayText } from '../../src/rules/lead-ref.ts';
import { callBackDialTwiml, callBackWhisperTwiml } from '../../src/rules/voice-responses.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import type { E164 } from '../../src/shared/phone.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import { testTenant } from '../support/tenant-fixture.ts';

const STAFF = '+14165550177' as E164;
const LEAD = '+16475550123';
const T0 = Date.parse('2026-06-01T14:00:00Z');

/** An event of `streamId` (the lead's by default), `seconds` after T0. */
function at<T extends EventType>(
  seconds: number,
  type: T,
  data: NewEventInput<T>['data'],
  key: string,
  streamId = `lead:t1:${LEAD}`,
): RecordedLeadlineEvent {
  const when = new Date(T0 + seconds * 1000);
  return {
    ...newEvent(
      { type, data, streamId, tenantId: 't1', idempotencyKey: key, occurredAt: when },
      fixedClock(when),
    ),
    position: String(seconds),
  } as RecordedLeadlineEvent;
}

const missedCall = (s: number, callSid: string) => [
  at(
    s,
    'CallReceived',
    {
      callSid,
      from: LEAD,
      to: '+14165550100',
      callStatus: 'ringing',
      mode: 'business-hours',
      action: 'ring-owner',
    },
    callSid,
  ),
  at(
    s + 15,
    'DialMissed',
    {
      callSid,
      dialCallSid: null,
      dialCallStatus: 'no-answer',
      reason: 'not-answered',
      dialCallDurationSeconds: null,
      leg: 'owner',
    },
    callSid,
  ),
];
const leadText = (s: number, messageSid: string, body = 'Can you come today?') =>
  at(
    s,
    'SmsInbound',
    {
      messageSid,
      from: LEAD,
      to: '+14165550100',
      body,
      media: [],
      keyword: null,
      optOutType: null,
      autoReply: false,
      urgency: 'STANDARD',
    },
    messageSid,
  );
const staffReply = (s: number, replyId: string, body = 'On my way, 20 min') =>
  at(
    s,
    'StaffReplied',
    {
      replyId,
      channel: 'relay',
      author: STAFF,
      authorPhone: STAFF,
      body,
    },
    replyId,
  );
const optOut = (s: number) =>
  at(
    s,
    'ConsentRevoked',
    {
      phone: LEAD,
      channel: 'keyword',
      text: 'STOP',
      evidence: { messageSid: 'SMstop' },
    },
    'stop',
  );
const timer = (s: number, callSid: string) =>
  at(
    s,
    'TimerElapsed',
    {
      timerId: `missed-call-text:lead:t1:${LEAD}:${callSid}`,
      kind: 'missed-call-text',
      key: callSid,
      dueAt: new Date(T0 + s * 1000).toISOString(),
    },
    `timer:${callSid}`,
  );

/** Runs `events` through decide/evolve/remember as the processor does; every decision in order. */
function run(tenant: Tenant, events: RecordedLeadlineEvent[]) {
  let state: LeadState = initialLeadState();
  const decisions = events.map((e) => {
    const decision = decide(state, e, tenant);
    state = remember(evolve(state, e), decision, e.occurredAt);
    return decision;
  });
  return {
    state,
    decisions,
    texts: decisions
      .flatMap((d) => d.intents)
      .map((i) => `${i.to === LEAD ? 'lead' : i.to === STAFF ? 'staff' : 'owner'}:${i.purpose}`),
  };
}

describe('lead references and relay codes', () => {
  it('a lead reference is four digits, stable, and differs between tenants', () => {
    expect(leadRef('t1', LEAD)).toMatch(/^[1-9]\d{3}$/);
    expect(leadRef('t1', LEAD)).toBe(leadRef('t1', LEAD));
    const refs = new Set(
      Array.from({ length: 200 }, (_, i) => leadRef('t1', `+1647555${String(i).padStart(4, '0')}`)),
    );
    expect(refs.size).toBeGreaterThan(190); // spread over 9,000 values
  });

  it.each([
    ['#4821 On my way', '4821', 'On my way'],
    ['  # 4821: be there at 3', '4821', 'be there at 3'],
    ['#16475550123 hi', '16475550123', 'hi'],
    ['On my way', null, 'On my way'],
    ['#48 too short', null, '#48 too short'],
    ['#4821', '4821', ''],
  ])('%j → code %j, message %j', (body, code, message) => {
    expect(parseRelayText(body)).toEqual({ code, message });
  });
});

describe('who is calling or texting', () => {
  const tenant = testTenant({ staffPhones: [STAFF], emergencyPhone: '+14165550166' as E164 });
  it.each([
    ['Anonymous', 'withheld'],
    ['Restricted', 'withheld'],
    ['Unavailable', 'withheld'],
    ['+266696687', 'withheld'],
    ['+7378742833', 'withheld'],
    ['+2562533', 'withheld'],
    ['+86282452253', 'withheld'],
    ['+8656696', 'withheld'],
    ['', 'withheld'],
    ['client:alice', 'withheld'],
    ['sip:bob@example.com', 'withheld'],
    [STAFF, 'staff'],
    ['+14165550199', 'staff'], // the owner
    ['+14165550166', 'staff'], // the on-call phone
    [LEAD, 'lead'],
  ])('From %j is %s', (from, kind) => {
    expect(classifyCaller(tenant, from).kind).toBe(kind);
  });
});

describe('staff replies and human takeover', () => {
  // Without the qualifying assistant, a lead's text is acknowledged (unless taken over).
  const tenant = testTenant({ staffPhones: [STAFF], qualifyingQuestions: 0 });

  it('a staff reply is one text to the lead, keyed by its reply id; the first text ever names the business', () => {
    const { decisions } = run(tenant, [leadText(0, 'SM1'), staffReply(60, 'SMstaff')]);
    const [text] = decisions[1]!.intents;
    expect(text).toMatchObject({
      to: LEAD,
      audience: 'lead',
      purpose: 'staff-reply',
      dedupeKey: 'SMstaff:staff-reply',
      consentExempt: false,
      body: 'On my way, 20 min',
    });
    const first = run(tenant, [staffReply(0, 'SMfirst')]).decisions[0]!.intents[0]!;
    expect(first.body).toBe('On my way, 20 min\n— Maple Plumbing. Reply STOP to opt out.');
  });

  it('to a lead who opted out the staff member is told why at once (the sender withholds the text, on the record)', () => {
    const { decisions } = run(tenant, [leadText(0, 'SM1'), optOut(30), staffReply(60, 'SMstaff')]);
    const intents = decisions[2]!.intents;
    expect(intents.map((i) => [i.to, i.purpose, i.consentExempt])).toEqual([
      [LEAD, 'staff-reply', false], // consent-gated: withheld at send time, and recorded so
      [STAFF, 'relay-refused', true],
    ]);
    expect(intents[1]!.body).toContain('opted out');
    expect(intents[1]!.body).toContain(`#${leadRef('t1', LEAD)}`);
  });

  it('a reply withheld at send time (STOP came first) is explained to its author once', () => {
    const withheld = at(
      90,
      'OutboundSmsWithheld',
      {
        outboxId: 'o1',
        dedupeKey: 'SMstaff:staff-reply',
        purpose: 'staff-reply',
        audience: 'lead',
        to: LEAD,
        from: '+14165550100',
        body: 'On my way',
        reason: 'consent-revoked',
        detail: null,
      },
      'o1',
    );
    const { texts, decisions } = run(tenant, [staffReply(0, 'SMstaff'), optOut(30), withheld]);
    expect(texts).toEqual(['lead:staff-reply', 'staff:relay-refused']);
    expect(decisions[2]!.intents[0]!.dedupeKey).toBe('SMstaff:relay-refused');
  });

  it('after a staff reply the lead gets no acknowledgement, but the owner is still alerted', () => {
    const { texts } = run(tenant, [
      leadText(0, 'SM1'),
      staffReply(60, 'SMstaff'),
      leadText(120, 'SM2', 'Thanks, the door code is 1234'),
      at(
        150,
        'TimerElapsed',
        {
          timerId: 'x',
          kind: 'owner-alert-batch',
          key: 'SM1', // the batch is named by its first text
          dueAt: new Date(T0 + 150_000).toISOString(),
        },
        'batch',
      ),
    ]);
    expect(texts).toEqual(['lead:acknowledgement', 'lead:staff-reply', 'owner:owner-alert']);
  });

  it('a missed call while a staff member has the conversation alerts the owner and texts nobody', () => {
    const { texts, decisions } = run(tenant, [staffReply(0, 'SMstaff'), ...missedCall(600, 'CA1')]);
    expect(texts).toEqual(['lead:staff-reply', 'owner:owner-alert']);
    expect(decisions[2]!.intents[0]!.body).toContain('already talking with them');
  });

  it('automation comes back after the conversation is quiet for the tenant’s hours, or on resume', () => {
    const quiet = run(tenant, [
      staffReply(0, 'SMstaff'),
      leadText(25 * 3600, 'SM2', 'Hello again'),
      leadText(25 * 3600 + 60, 'SM3', 'Still there?'),
    ]);
    expect(quiet.texts.filter((t) => t.startsWith('lead:'))).toEqual([
      'lead:staff-reply',
      'lead:acknowledgement',
    ]);
    expect(quiet.state.takeover).toBeUndefined();

    const resumed = run(tenant, [
      staffReply(0, 'SMstaff'),
      at(60, 'AutomationResumed', { phone: LEAD, resumedBy: 'cli' }, 'resume'),
      leadText(120, 'SM2'),
    ]);
    expect(resumed.texts.filter((t) => t.startsWith('lead:'))).toEqual([
      'lead:staff-reply',
      'lead:acknowledgement',
    ]);
  });
});

describe('call-backs through the business number', () => {
  const tenant = testTenant({ staffPhones: [STAFF], takeoverWindowSeconds: 60 });
  const callBack = (s: number) =>
    at(s, 'CallBackRequested', { callbackId: 'cb1', staffPhone: STAFF, requestedBy: 'k1' }, 'cb1');

  it('queues one call: the staff phone first, the lead from the business number', () => {
    const { decisions } = run(tenant, [callBack(0)]);
    expect(decisions[0]!.intents).toEqual([]);
    expect(decisions[0]!.calls).toEqual([
      { callbackId: 'cb1', staffPhone: STAFF, leadPhone: LEAD, from: '+14165550100' },
    ]);
  });

  it('the staff leg must press 1 before the lead is dialled, with the business number as caller ID', () => {
    const whisper = callBackWhisperTwiml('https://leadline.example/twilio/voice/call-back?x=1');
    expect(whisper).toMatch(
      /<Gather numDigits="1" timeout="10" action="https:\/\/leadline.example\/twilio\/voice\/call-back\?x=1" method="POST" actionOnEmptyResult="true">/,
    );
    expect(whisper).not.toContain('<Dial');
    expect(callBackDialTwiml(tenant, LEAD)).toMatch(
      /<Dial callerId="\+14165550100" timeout="30"><Number>\+16475550123<\/Number><\/Dial>/,
    );
  });

  it('replaces the missed-call text held for the window, and takes the conversation over', () => {
    const { texts } = run(tenant, [
      ...missedCall(0, 'CA1'),
      callBack(30),
      timer(75, 'CA1'),
      leadText(300, 'SM9', 'Thanks!'),
    ]);
    expect(texts).toEqual(['owner:owner-alert']);
  });
});

describe('the takeover window before the missed-call text', () => {
  const windowed = testTenant({ staffPhones: [STAFF], takeoverWindowSeconds: 60 });

  it('the text waits on a durable timer and goes when it fires', () => {
    const { decisions, texts } = run(windowed, [...missedCall(0, 'CA1'), timer(75, 'CA1')]);
    expect(decisions[1]!.timers).toEqual([
      {
        timerId: `missed-call-text:lead:t1:${LEAD}:CA1`,
        kind: 'missed-call-text',
        key: 'CA1',
        dueAt: new Date(T0 + 75_000).toISOString(),
      },
    ]);
    expect(decisions[1]!.intents[0]!.body).toContain('in 60 s unless you reply');
    expect(texts).toEqual(['owner:owner-alert', 'lead:missed-call-text']);
    expect(decisions[2]!.intents[0]!.dedupeKey).toBe('CA1:missed-call-text');
  });

  it('a staff reply inside the window replaces the text', () => {
    const { texts } = run(windowed, [
      ...missedCall(0, 'CA1'),
      staffReply(40, 'SMs'),
      timer(75, 'CA1'),
    ]);
    expect(texts).toEqual(['owner:owner-alert', 'lead:staff-reply']);
  });

  it('a timer delivered twice sends once', () => {
    const { texts } = run(windowed, [...missedCall(0, 'CA1'), timer(75, 'CA1'), timer(75, 'CA1')]);
    expect(texts.filter((t) => t === 'lead:missed-call-text')).toHaveLength(1);
  });
});

describe('voicemail: the missed call alert waits for the transcript', () => {
  const tenant = testTenant({ voicemail: true, voicemailWaitSeconds: 60 });
  const recorded = (s: number) =>
    at(
      s,
      'VoicemailRecorded',
      {
        callSid: 'CA1',
        recordingSid: 'RE1',
        recordingUrl: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
        durationSeconds: 12,
      },
      'RE1',
    );
  const transcribed = (s: number, text: string | null = 'Water heater is leaking') =>
    at(
      s,
      'VoicemailTranscribed',
      {
        callSid: 'CA1',
        recordingSid: 'RE1',
        transcriptionSid: 'TR1',
        status: text ? 'completed' : 'failed',
        text,
      },
      'TR1',
    );
  const waited = (s: number) =>
    at(
      s,
      'TimerElapsed',
      {
        timerId: `voicemail-wait:lead:t1:${LEAD}:CA1`,
        kind: 'voicemail-wait',
        key: 'CA1',
        dueAt: new Date(T0 + s * 1000).toISOString(),
      },
      'vm-wait',
    );
  const bodies = (decisions: ReturnType<typeof run>['decisions']) =>
    decisions
      .flatMap((d) => d.intents)
      .filter((i) => i.audience === 'owner')
      .map((i) => i.body);

  it('the text goes at once; the alert carries the transcript when it comes in time', () => {
    const { decisions, texts } = run(tenant, [
      ...missedCall(0, 'CA1'),
      recorded(40),
      transcribed(55),
      waited(75),
    ]);
    expect(texts).toEqual(['lead:missed-call-text', 'owner:owner-alert']);
    expect(decisions[1]!.timers.map((t) => [t.kind, t.dueAt])).toEqual([
      ['voicemail-wait', new Date(T0 + 75_000).toISOString()],
    ]);
    expect(bodies(decisions)[0]).toContain('Voicemail: "Water heater is leaking"');
    expect(decisions[4]!.intents[0]?.dedupeKey ?? 'none').toBe('none');
  });

  it('a transcript after the wait follows the alert, once', () => {
    const { decisions } = run(tenant, [
      ...missedCall(0, 'CA1'),
      recorded(40),
      waited(75),
      transcribed(90),
      transcribed(91),
    ]);
    expect(bodies(decisions)).toEqual([
      expect.stringContaining('its transcript will follow'),
      expect.stringMatching(/^Leadline: voicemail from \(647\) 555-0123\. Voicemail: "Water/),
    ]);
  });

  it('no voicemail: the alert goes when the wait ends, saying nothing of one', () => {
    const { decisions } = run(tenant, [...missedCall(0, 'CA1'), waited(75)]);
    expect(bodies(decisions)).toEqual([expect.not.stringContaining('voicemail')]);
  });

  it('a failed transcription releases the alert at once, pointing to the recording', () => {
    const { decisions } = run(tenant, [
      ...missedCall(0, 'CA1'),
      recorded(40),
      transcribed(50, null),
    ]);
    expect(bodies(decisions)).toEqual([expect.stringContaining('no transcript')]);
  });
});

describe('withheld callers and unrouted staff texts', () => {
  const tenant = testTenant();
  const stream = 'call:t1:CAwithheld';

  it('a missed withheld call alerts the owner once, naming the local time, and texts nobody', () => {
    const missed = at(
      15,
      'DialMissed',
      {
        callSid: 'CAwithheld',
        dialCallSid: null,
        dialCallStatus: 'no-answer',
        reason: 'not-answered',
        dialCallDurationSeconds: null,
        leg: 'owner',
      },
      'CAwithheld',
      stream,
    );
    const intents = decideOffLead(missed, tenant);
    expect(intents.map((i) => [i.to, i.dedupeKey])).toEqual([
      [tenant.ownerPhone, 'CAwithheld:withheld-alert'],
    ]);
    expect(intents[0]!.body).toBe(
      'Leadline: missed call from a withheld number at 10:00 AM — they may call back. We could not text them.',
    );
  });

  it('after hours the call itself is the miss; in open hours only the dial outcome is', () => {
    const received = (action: 'ring-owner' | 'after-hours-notice') =>
      at(
        0,
        'WithheldCallReceived',
        {
          callSid: 'CAwithheld',
          callerId: 'Anonymous',
          to: '+14165550100',
          callStatus: 'ringing',
          mode: action === 'ring-owner' ? 'business-hours' : 'after-hours',
          action,
        },
        'CAwithheld',
        stream,
      );
    expect(decideOffLead(received('after-hours-notice'), tenant)).toHaveLength(1);
    expect(decideOffLead(received('ring-owner'), tenant)).toHaveLength(0);
  });

  it('an unrouted staff text gets one help text', () => {
    const unrouted = at(
      0,
      'StaffTextUnrouted',
      {
        messageSid: 'SMx',
        from: STAFF,
        reason: 'unknown-code',
        code: '9999',
      },
      'SMx',
      `staff:t1:${STAFF}`,
    );
    const intents = decideOffLead(unrouted, tenant);
    expect(intents.map((i) => [i.to, i.purpose, i.dedupeKey])).toEqual([
      [STAFF, 'relay-help', 'SMx:relay-help'],
    ]);
    expect(intents[0]!.body).toContain('#9999');
  });
});
