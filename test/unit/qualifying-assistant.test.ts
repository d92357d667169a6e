import { describe, expect, it } from 'vitest';
import type { EventType, RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent, type NewEventInput } from '../../src/events/new-event.ts';
import { decide, type LeadDecision } from '../../src/processors/lead-conversation/decide.ts';
import {
  evolve,
  initialLeadState,
  remember,
  type LeadState,
} from '../../src/processors/lead-conversation/state.ts';
import { assessmentEvents } from '../../src/qualification/assessor.ts';
import { deterministicEngine } from '../../src/qualification/deterministic-engine.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import type { E164 } from '../../src/shared/phone.ts';
import { testTenant } from '../support/tenant-fixture.ts';

const LEAD = '+16475550123';
const T0 = Date.parse('2026-06-01T14:00:00Z');
let position = 0;
let minute = 0;

function event<T extends EventType>(type: T, data: NewEventInput<T>['data'], key: string) {
  const at = new Date(T0 + ++minute * 60_000);
  return {
    ...newEvent(
      {
        type,
        data,
        streamId: `lead:t1:${LEAD}`,
        tenantId: 't1',
        idempotencyKey: key,
        occurredAt: at,
      },
      fixedClock(at),
    ),
    position: String(++position),
  } as RecordedLeadlineEvent;
}

const text = (sid: string, body: string, urgency: 'EMERGENCY' | 'STANDARD' = 'STANDARD') =>
  event(
    'SmsInbound',
    {
      messageSid: sid,
      from: LEAD,
      to: '+14165550100',
      body,
      keyword: null,
      optOutType: null,
      autoReply: false,
      urgency,
      media: [],
    },
    sid,
  );

/**
 * One lead's conversation through the pure processor, with the assessor's part played by the
 * deterministic engine (as `Assessor` does: its answer becomes `QualificationAssessed`, and
 * `LeadQualified` when it settles the lead). Collects every text decided.
 */
function conversation(tenant: Tenant) {
  let state: LeadState = initialLeadState();
  const sent: Array<{ audience: string; purpose: string; body: string }> = [];
  const engine = deterministicEngine();
  const apply = async (e: RecordedLeadlineEvent): Promise<LeadDecision> => {
    const decision = decide(state, e, tenant);
    state = remember(evolve(state, e), decision, e.occurredAt);
    sent.push(
      ...decision.intents.map(({ audience, purpose, body }) => ({ audience, purpose, body })),
    );
    if (decision.qualify) {
      const { assessed, qualified } = assessmentEvents(
        decision.qualify,
        await engine.assess(decision.qualify.input),
      );
      const key = decision.qualify.requestId;
      await apply(event('QualificationAssessed', assessed, key));
      if (qualified) await apply(event('LeadQualified', qualified, key));
    }
    return decision;
  };
  return {
    apply,
    say: (sid: string, body: string) => apply(text(sid, body)),
    toLead: () => sent.filter((s) => s.audience === 'lead'),
    toOwner: () => sent.filter((s) => s.audience === 'owner'),
    state: () => state,
  };
}

describe('the qualifying assistant (issue 16)', () => {
  const tenant = testTenant({ alertDebounceSeconds: 30 });

  it('asks only for what the lead has not said, then thanks them; the owner gets the summary once', async () => {
    const c = conversation(tenant);
    await c.say(
      'SM1',
      'water heater leaking in basement, 45 Elm St Toronto M4E 2V1, can someone come tomorrow morning?',
    );
    expect(c.toLead().map((t) => t.purpose)).toEqual(['qualification-question']);
    expect(c.toLead()[0]!.body).toMatch(
      /^Maple Plumbing: thanks for your message! And what's your name\?/,
    );
    await c.say('SM2', 'Sarah');
    expect(c.toLead().map((t) => t.purpose)).toEqual([
      'qualification-question',
      'qualification-complete',
    ]);
    expect(c.toLead()[1]!.body).toMatch(/^Thanks, Sarah! .* will call you back/);
    const alerts = c.toOwner();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.body).toContain(
      'Water heater leaking · 45 Elm St M4E · SOON · tomorrow morning · Sarah.',
    );
    expect(c.state().pendingAlert).toBeUndefined();
  });

  it('a lead who answers nothing gets at most the configured number of questions, then silence', async () => {
    const c = conversation(testTenant({ qualifyingQuestions: 2 }));
    for (const [i, body] of ['hello?', 'hmm', '??', 'ok', 'hello'].entries()) {
      await c.say(`SM${i}`, body);
    }
    expect(c.toLead().map((t) => t.purpose)).toEqual([
      'qualification-question',
      'qualification-question',
    ]);
  });

  it('never asks twice about the same topic, and never quotes a price or a time', async () => {
    const c = conversation(tenant);
    await c.say('SM1', 'leaking pipe');
    await c.say('SM2', 'not sure');
    await c.say('SM3', 'no idea');
    const asked = c.state().qualification!.asked;
    expect(new Set(asked).size).toBe(asked.length);
    for (const t of c.toLead())
      expect(t.body).not.toMatch(/\$|\d{1,2}(:\d\d)? ?(am|pm)|minutes?|hours?/i);
  });

  it('a staff reply mid-conversation stops the assistant: no further automatic text', async () => {
    const c = conversation(testTenant({ staffPhones: ['+14165550177' as E164] }));
    await c.say('SM1', 'my toilet is clogged');
    const before = c.toLead().length;
    await c.apply(
      event(
        'StaffReplied',
        {
          replyId: 'R1',
          body: 'On my way',
          channel: 'relay',
          author: 'staff',
          authorPhone: '+14165550177',
        },
        'R1',
      ),
    );
    await c.say('SM2', '12 Oak St M4C 1A1');
    await c.say('SM3', 'today please');
    expect(c.toLead().filter((t) => t.purpose !== 'staff-reply')).toHaveLength(before);
  });

  it('STOP ends it: no question after an opt-out', async () => {
    const c = conversation(tenant);
    await c.say('SM1', 'my toilet is clogged');
    await c.apply(
      event(
        'ConsentRevoked',
        { phone: LEAD, channel: 'keyword', text: 'STOP', evidence: { MessageSid: 'SM2' } },
        'SM2',
      ),
    );
    await c.say('SM3', '12 Oak St M4C 1A1');
    expect(c.toLead().filter((t) => t.purpose === 'qualification-question')).toHaveLength(1);
  });

  it("an emergency asks nothing: the owner is alerted at once, once, with the lead's own words", async () => {
    const c = conversation(tenant);
    await c.apply(text('SM1', 'BURST PIPE water everywhere 12 Oak St M4C 1A1', 'EMERGENCY'));
    expect(c.toLead().map((t) => t.purpose)).toEqual(['acknowledgement']);
    expect(c.toOwner().map((t) => t.body)).toEqual([
      expect.stringMatching(
        /^EMERGENCY: text from .*BURST PIPE water everywhere 12 Oak St M4C 1A1/,
      ),
    ]);
    // The reading is still recorded, for the dashboard: qualified at once, no questions.
    expect(c.state().qualification?.qualified?.summary).toBe(
      'Burst pipe · 12 Oak St M4C · EMERGENCY',
    );
  });

  it('when the assistant gives up on a text, the lead is acknowledged instead of left waiting', async () => {
    let state = initialLeadState();
    const step = (e: RecordedLeadlineEvent) => {
      const decision = decide(state, e, tenant);
      state = remember(evolve(state, e), decision, e.occurredAt);
      return decision;
    };
    expect(step(text('SM9', 'my toilet is clogged')).intents).toEqual([]);
    const failed = step(
      event(
        'QualificationFailed',
        { requestId: 'SM9', reason: 'the assessor died or hung 3 times' },
        'SM9',
      ),
    );
    expect(failed.intents.map((i) => [i.purpose, i.dedupeKey])).toEqual([
      ['acknowledgement', 'SM9:acknowledgement'],
    ]);
  });

  it('with --qualifying-questions 0 the assistant is off: one acknowledgement, nothing read', async () => {
    const c = conversation(testTenant({ qualifyingQuestions: 0 }));
    const decision = await c.say('SM1', 'my toilet is clogged at 12 Oak St');
    expect(decision.qualify).toBeUndefined();
    expect(c.toLead().map((t) => t.purpose)).toEqual(['acknowledgement']);
  });

  it('a lead outside the service area is told so once, and the owner sees OUTSIDE AREA', async () => {
    const c = conversation(testTenant({ serviceArea: ['M4C', 'M4E'] }));
    await c.say('SM1', 'clogged drain at 9 Pine Cres Ottawa K1S 3B4, no rush next week. - Priya');
    expect(c.toLead().map((t) => t.purpose)).toEqual(['outside-area']);
    expect(c.toLead()[0]!.body).toContain("doesn't serve K1S 3B4");
    expect(c.toOwner()[0]!.body).toContain('OUTSIDE AREA');
  });

  it('a lead outside the area is settled at once: no question first, the owner told even when the alert went', async () => {
    const c = conversation(testTenant({ serviceArea: ['M4C'], alertDebounceSeconds: 0 }));
    await c.say('SM1', 'leaking tap at 9 Pine Cres Ottawa K1S 3B4');
    expect(c.toLead().map((t) => t.purpose)).toEqual(['outside-area']);
    expect(c.toOwner().map((t) => t.body)).toEqual([
      expect.stringMatching(/^STANDARD: text from/),
      expect.stringMatching(/— Leaking tap · 9 Pine Cres K1S · OUTSIDE AREA/),
    ]);
  });

  it('a new conversation after 12 quiet hours asks about the new job, not again who and where', async () => {
    const c = conversation(tenant);
    await c.say('SM1', 'leaking pipe at 45 Elm St M4E 2V1, today please. This is Sarah');
    expect(c.toLead().map((t) => t.purpose)).toEqual(['qualification-complete']);
    minute += 13 * 60;
    await c.say('SM2', 'hi again, now the toilet keeps running');
    expect(c.toLead().at(-1)!.body).toMatch(/How soon do you need us/);
  });

  it('a lead who writes in French is answered in French, the next missed-call text included', async () => {
    const c = conversation(tenant);
    await c.say('SM1', 'Bonjour, mon chauffe-eau coule au sous-sol');
    expect(c.toLead()[0]!.body).toMatch(/merci pour votre message! Quelle est l'adresse/);
    expect(c.state().language).toBe('fr');
  });
});
