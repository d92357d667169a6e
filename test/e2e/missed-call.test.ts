import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantDashboard } from '../../src/projections/dashboard/dashboard-queries.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import {
  dialActionParams,
  inboundSmsParams,
  voiceCallParams,
} from '../../src/cli/webhook-client.ts';
import {
  ACCOUNT_SID,
  closedNowHours,
  newSid,
  OPERATOR_KEY,
  e2eBackends,
  startE2eEnv,
  type E2eEnv,
} from '../support/e2e-env.ts';
import { waitUntilSettled } from '../support/settle.ts';
import { runCli } from '../../harness/service-process.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { leadStreamId, REJECTED_WEBHOOKS_STREAM } from '../../src/events/streams.ts';

const NUMBER = '+14165550100';
const OWNER = '+14165550199';
const AFTER_HOURS_NUMBER = '+14165550111';
const AFTER_HOURS_OWNER = '+14165550188';

describe.each(e2eBackends())(
  'walking skeleton on the $backend log: a missed call becomes exactly one text, end to end',
  ({ env }) => {
    let e: E2eEnv;
    let tenantId: string;
    let afterHoursTenantId: string;
    let callerSeq = 0;
    const nextCaller = () => `+1647555${String(100 + ++callerSeq).padStart(4, '0')}`;

    beforeAll(async () => {
      e = await startE2eEnv(env);
      // Alerts at once (no grouping window): grouping has its own suite (trade-rules).
      tenantId = await e.addTenant({
        name: 'Maple Plumbing',
        number: NUMBER,
        owner: OWNER,
        // The qualifying assistant is off: these are the rules of acknowledgements and alerts
        // (test/e2e/qualification.test.ts has the assistant).
        extra: ['--qualifying-questions', '0', '--alert-debounce', '0'],
      });
      afterHoursTenantId = await e.addTenant({
        name: 'Night Owl Drains',
        number: AFTER_HOURS_NUMBER,
        owner: AFTER_HOURS_OWNER,
        hours: closedNowHours(),
        timezone: 'UTC',
      });
    });
    afterAll(async () => {
      await e?.close();
    });

    const settle = () => waitUntilSettled(e.databaseUrl);
    const call = (from: string, to = NUMBER) => ({
      callSid: newSid('CA'),
      accountSid: ACCOUNT_SID,
      from,
      to,
    });

    /** Rings, then posts the Dial action callback with `status`; returns both TwiML answers. */
    async function ringAndDial(c: ReturnType<typeof call>, status: string) {
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      expect(voice.status).toBe(200);
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)?.[1];
      expect(action, voice.body).toBeDefined();
      const dial = await e.webhooks.post(
        e.webhooks.relativeTo(action!),
        dialActionParams(c, status, status === 'completed' ? 30 : 0),
      );
      expect(dial.status).toBe(200);
      return { voice, dial, actionPath: e.webhooks.relativeTo(action!) };
    }

    async function sms(
      from: string,
      body: string,
      to = NUMBER,
      extra: Record<string, string> = {},
    ) {
      const res = await e.webhooks.post('/twilio/sms', {
        ...inboundSmsParams({ messageSid: newSid('SM'), accountSid: ACCOUNT_SID, from, to, body }),
        ...extra,
      });
      expect(res.status).toBe(200);
      return res;
    }

    const alertsAbout = (caller: string, owner = OWNER) => {
      const last4 = `-${caller.slice(-4)}`; // as in (647) 555-0123, never a #reference
      return e.twilio.to(owner).filter((m) => m.body.includes(last4));
    };

    it('answered call: the owner is rung for 15 s and nobody gets a text', async () => {
      const caller = nextCaller();
      const { voice, dial } = await ringAndDial(call(caller), 'completed');
      expect(voice.body).toContain('<Dial');
      expect(voice.body).toContain('timeout="15"');
      expect(voice.body).toContain(`<Number>${OWNER}</Number>`);
      expect(dial.body).toContain('<Hangup/>');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
      expect(alertsAbout(caller)).toHaveLength(0);
    });

    it('missed call: exactly one text to the caller and one alert to the owner, from the tenant number', async () => {
      const caller = nextCaller();
      const { dial } = await ringAndDial(call(caller), 'no-answer');
      expect(dial.body).toContain('<Say');
      await settle();
      const texts = e.twilio.to(caller);
      expect(texts).toHaveLength(1);
      expect(texts[0]!.from).toBe(NUMBER);
      expect(texts[0]!.body).toContain('Maple Plumbing');
      expect(texts[0]!.body).toContain('STOP');
      expect(texts[0]!.statusCallback).toMatch(
        new RegExp(`^${e.env.PUBLIC_BASE_URL}/twilio/sms/status\\?outboxId=[0-9a-f-]{36}$`),
      );
      expect(alertsAbout(caller)).toHaveLength(1);
    });

    it.each(['busy', 'failed', 'canceled'])('%s counts as missed too', async (status) => {
      const caller = nextCaller();
      await ringAndDial(call(caller), status);
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(alertsAbout(caller)).toHaveLength(1);
    });

    it('after hours: a spoken notice, then the same one text and one alert', async () => {
      const caller = nextCaller();
      const voice = await e.webhooks.post(
        '/twilio/voice',
        voiceCallParams(call(caller, AFTER_HOURS_NUMBER)),
      );
      expect(voice.status).toBe(200);
      expect(voice.body).not.toContain('<Dial');
      expect(voice.body).toMatch(/<Say[^>]*>[^<]*closed/);
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(e.twilio.to(caller)[0]!.body).toContain('Night Owl Drains');
      expect(alertsAbout(caller, AFTER_HOURS_OWNER)).toHaveLength(1);
    });

    it('every webhook delivered twice, then ten times concurrently: still exactly one text and one alert', async () => {
      const caller = nextCaller();
      const c = call(caller);
      const first = await ringAndDial(c, 'no-answer');
      await ringAndDial(c, 'no-answer');
      await Promise.all(
        Array.from({ length: 10 }, () =>
          Promise.all([
            e.webhooks.post('/twilio/voice', voiceCallParams(c)),
            e.webhooks.post(first.actionPath, dialActionParams(c, 'no-answer')),
          ]),
        ),
      );
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(alertsAbout(caller)).toHaveLength(1);
    });

    it("a forwarded call 'completed' by the owner's voicemail in 6 s is still a missed lead", async () => {
      const caller = nextCaller();
      const c = call(caller);
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      const dial = await e.webhooks.post(
        e.webhooks.relativeTo(action),
        dialActionParams(c, 'completed', 6),
      );
      expect(dial.body).toContain('<Say');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(alertsAbout(caller).map((m) => m.body)).toEqual([
        expect.stringContaining('your voicemail picked up'),
      ]);
    });

    it('a Dial callback is matched by the CallSid its URL carries, never guessed from To', async () => {
      const caller = nextCaller();
      const first = call(caller);
      const { actionPath } = await ringAndDial(first, 'completed');
      expect(actionPath).toContain(`callSid=${first.callSid}`);
      const other = call(caller);
      await e.webhooks.post('/twilio/voice', voiceCallParams(other));
      const misrouted = await e.webhooks.post(actionPath, dialActionParams(other, 'no-answer'));
      expect(misrouted.status).toBe(400);
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
    });

    it('an answered call never produces a text, even when a "missed" callback arrives after it', async () => {
      const caller = nextCaller();
      const c = call(caller);
      const { actionPath } = await ringAndDial(c, 'completed');
      await e.webhooks.post(actionPath, dialActionParams(c, 'no-answer'));
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
    });

    it('unknown To: polite TwiML, no lead, no consent record, no message; an operator can see the rejection', async () => {
      const caller = nextCaller();
      const unknown = '+14165550177';
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(call(caller, unknown)));
      expect(voice.status).toBe(200);
      expect(voice.body).toContain('not in service');
      const text = await sms(caller, 'STOP', unknown);
      expect(text.body).toContain('<Response');
      await settle();
      for (const id of [tenantId, afterHoursTenantId]) {
        expect(await e.readStream(leadStreamId(id, caller))).toEqual([]);
      }
      const states = await e.db.query('SELECT 1 FROM lead_states WHERE phone = $1', [caller]);
      expect(states.rowCount).toBe(0);
      const leads = await e.db.query('SELECT 1 FROM dashboard_leads WHERE phone = $1', [caller]);
      expect(leads.rowCount).toBe(0);
      expect(e.twilio.to(caller)).toHaveLength(0);
      const rejected = (await e.readStream(REJECTED_WEBHOOKS_STREAM)).filter(
        (ev) => ev.type === 'WebhookRejected' && ev.data.to === unknown,
      );
      expect(rejected.map((ev) => ev.type === 'WebhookRejected' && ev.data.reason)).toEqual([
        'unknown-number',
        'unknown-number',
      ]);
    });

    it('unsigned or wrongly signed webhooks: 403, no lead, no message, nothing stored', async () => {
      const caller = nextCaller();
      const c = call(caller);
      const unsigned = await e.webhooks.post('/twilio/voice', voiceCallParams(c), {
        signature: null,
      });
      const forged = await e.webhooks.post('/twilio/voice', voiceCallParams(c), {
        signature: 'bm90IGEgc2lnbmF0dXJl',
      });
      const tampered = voiceCallParams(c);
      const goodSignature = e.webhooks.sign('/twilio/voice', tampered);
      tampered.From = nextCaller();
      const replayedWithOtherParams = await e.webhooks.post('/twilio/voice', tampered, {
        signature: goodSignature,
      });
      const smsForged = await e.webhooks.post(
        '/twilio/sms',
        inboundSmsParams({
          messageSid: newSid('SM'),
          accountSid: ACCOUNT_SID,
          from: caller,
          to: NUMBER,
          body: 'STOP',
        }),
        { signature: 'AAAA' },
      );
      for (const res of [unsigned, forged, replayedWithOtherParams, smsForged])
        expect(res.status).toBe(403);
      await settle();
      const leads = await e.db.query('SELECT 1 FROM dashboard_leads WHERE phone = ANY($1)', [
        [caller, tampered.From],
      ]);
      expect(leads.rowCount).toBe(0);
      expect(e.twilio.to(caller)).toHaveLength(0);
      for (const phone of [caller, tampered.From]) {
        expect(await e.readStream(leadStreamId(tenantId, phone))).toEqual([]);
      }
      // Unauthenticated input is counted, never written to the log.
      const rejected = (await e.readStream(REJECTED_WEBHOOKS_STREAM)).filter(
        (ev) => ev.type === 'WebhookRejected' && ev.data.sid === c.callSid,
      );
      expect(rejected).toEqual([]);
    });

    it('STOP, then a missed call: no text to the caller (after the one confirmation), the owner is still alerted; START restores texts', async () => {
      const caller = nextCaller();
      await sms(caller, 'Stop');
      await sms(caller, 'STOP'); // a second STOP is not confirmed again
      await settle();
      const confirmations = e.twilio.to(caller);
      expect(confirmations).toHaveLength(1);
      expect(confirmations[0]!.body).toMatch(/unsubscribed/i);

      await ringAndDial(call(caller), 'no-answer');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1); // still only the confirmation
      const alerts = alertsAbout(caller);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.body).toMatch(/opted out/i);

      await sms(caller, 'START');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(2);
      expect(e.twilio.to(caller)[1]!.body).toMatch(/resubscribed/i);
      await ringAndDial(call(caller), 'busy');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(3);
      expect(e.twilio.to(caller)[2]!.body).toContain('Sorry we missed your call');
    });

    it('HELP answers with the business name and how to opt out; any other text gets one acknowledgement and one alert', async () => {
      const caller = nextCaller();
      await sms(caller, 'help');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(e.twilio.to(caller)[0]!.body).toContain('Maple Plumbing');
      expect(e.twilio.to(caller)[0]!.body).toContain('STOP');
      expect(alertsAbout(caller)).toHaveLength(0);

      await sms(caller, 'My kitchen sink is backed up, can you come tomorrow?');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(2);
      expect(e.twilio.to(caller)[1]!.body).toMatch(/got your message/);
      const alerts = alertsAbout(caller);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]!.body).toContain('kitchen sink is backed up');
    });

    it('"stop texting me" opts out like STOP; "my toilet won\'t stop running" does not', async () => {
      const quitter = nextCaller();
      await sms(quitter, 'Please stop texting me');
      const customer = nextCaller();
      await sms(customer, "My toilet won't stop running");
      await settle();
      expect(e.twilio.to(quitter).map((m) => m.body)).toEqual([
        expect.stringMatching(/unsubscribed/),
      ]);
      const revoked = (await e.readStream(leadStreamId(tenantId, quitter))).find(
        (ev) => ev.type === 'ConsentRevoked',
      );
      expect(revoked?.type === 'ConsentRevoked' && revoked.data.channel).toBe('reasonable-means');
      expect(e.twilio.to(customer).map((m) => m.body)).toEqual([
        expect.stringMatching(/got your message/),
      ]);
    });

    it('Advanced Opt-Out: Twilio already replied to STOP, so Leadline records it and stays quiet', async () => {
      const caller = nextCaller();
      await sms(caller, 'STOP', NUMBER, { OptOutType: 'STOP' });
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
      await ringAndDial(call(caller), 'no-answer');
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
      expect(alertsAbout(caller)).toHaveLength(1);
    });

    it('auto-replies get no answer; photos and emergencies reach the owner clearly', async () => {
      const caller = nextCaller();
      await sms(
        caller,
        "I'm driving with Driving Focus turned on. I'll see your message when I get where I'm going.",
      );
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
      expect(alertsAbout(caller)).toHaveLength(0);
      await sms(caller, 'Pipe burst under the sink, water everywhere!', NUMBER, {
        NumMedia: '1',
        MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0',
        MediaContentType0: 'image/jpeg',
      });
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(alertsAbout(caller).map((m) => m.body)).toEqual([
        expect.stringMatching(
          /^EMERGENCY: .*water everywhere!" \(\+1 photo\) Reply to text them \(#\d{4}\)\.$/,
        ),
      ]);
    });

    it('status callbacks never move a message backwards', async () => {
      const caller = nextCaller();
      await ringAndDial(call(caller), 'no-answer');
      await settle();
      const [text] = e.twilio.to(caller);
      const callback = e.webhooks.relativeTo(text!.statusCallback!);
      expect(callback).toMatch(/^\/twilio\/sms\/status\?outboxId=[0-9a-f-]{36}$/);
      const status = (MessageStatus: string) =>
        e.webhooks.post(callback, {
          AccountSid: ACCOUNT_SID,
          ApiVersion: '2010-04-01',
          MessageSid: text!.sid,
          MessageStatus,
          From: NUMBER,
          To: caller,
        });
      for (const s of ['sent', 'delivered', 'sent', 'delivered'])
        expect((await status(s)).status).toBe(200);
      await settle();
      const { rows } = await e.db.query(
        'SELECT status FROM dashboard_messages WHERE message_sid = $1',
        [text!.sid],
      );
      expect(rows).toEqual([{ status: 'delivered' }]);
    });

    it('a missed-call text undelivered as a landline (30006) tells the owner to call back', async () => {
      const caller = nextCaller();
      await ringAndDial(call(caller), 'no-answer');
      await settle();
      const [text] = e.twilio.to(caller);
      const res = await e.webhooks.post(e.webhooks.relativeTo(text!.statusCallback!), {
        AccountSid: ACCOUNT_SID,
        MessageSid: text!.sid,
        MessageStatus: 'undelivered',
        ErrorCode: '30006',
        From: NUMBER,
        To: caller,
      });
      expect(res.status).toBe(200);
      await settle();
      expect(alertsAbout(caller).map((m) => m.body)).toEqual([
        expect.stringContaining('We texted them'),
        expect.stringMatching(/landline.*call them back/),
      ]);
    });

    it('error 21610 (unsubscribed at the carrier) revokes consent: no further texts are tried', async () => {
      const caller = nextCaller();
      e.twilio.refuseRecipient(caller, 21610, 'Attempt to send to unsubscribed recipient');
      await ringAndDial(call(caller), 'no-answer');
      await settle();
      const attempts = () =>
        e.twilio.requests.filter((r) => r.method === 'POST' && r.params.To === caller).length;
      expect(attempts()).toBe(1); // permanent: not retried
      const revoked = (await e.readStream(leadStreamId(tenantId, caller))).filter(
        (ev) => ev.type === 'ConsentRevoked',
      );
      expect(revoked.map((ev) => ev.type === 'ConsentRevoked' && ev.data.channel)).toEqual([
        'carrier-error-21610',
      ]);
      await ringAndDial(call(caller), 'busy');
      await settle();
      expect(attempts()).toBe(1);
      expect(alertsAbout(caller).at(-1)!.body).toMatch(/opted out of texts: call them back/);
    });

    it('cost guard: past the daily quota customers are not texted, the owner is told once and still alerted', async () => {
      const budgetNumber = '+14165550122';
      const budgetOwner = '+14165550133';
      await e.addTenant({
        name: 'Budget Drains',
        number: budgetNumber,
        owner: budgetOwner,
        extra: ['--daily-quota', '2'],
      });
      const callers = [nextCaller(), nextCaller(), nextCaller(), nextCaller()];
      for (const caller of callers) {
        await ringAndDial(call(caller, budgetNumber), 'no-answer');
        await settle();
      }
      expect(callers.map((c) => e.twilio.to(c).length)).toEqual([1, 1, 0, 0]);
      const ownerTexts = e.twilio.to(budgetOwner).map((m) => m.body);
      expect(ownerTexts.filter((b) => b.includes('missed call'))).toHaveLength(4);
      expect(ownerTexts.filter((b) => b.includes("today's limit of 2 texts"))).toHaveLength(1);
    });

    it('the dashboard API shows calls, texts and leads to the operator key only', async () => {
      await settle();
      const unauthorised = await fetch(`${e.service.baseUrl}/api/v1/dashboard?tenant=${tenantId}`);
      expect(unauthorised.status).toBe(401);
      const res = await fetch(`${e.service.baseUrl}/api/v1/dashboard?tenant=${tenantId}`, {
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as TenantDashboard & { tenant: Tenant };
      expect(body.tenant.name).toBe('Maple Plumbing');
      expect(body.totals.calls).toBeGreaterThanOrEqual(8);
      expect(body.totals.answered).toBeGreaterThanOrEqual(2);
      expect(body.totals.missed).toBeGreaterThanOrEqual(6);
      // The STOP caller re-subscribed; the own-words, Advanced Opt-Out and 21610 callers did not.
      expect(body.totals.optedOut).toBe(3);
      expect(body.optedOutNumbers).toHaveLength(3);
      expect(body.leads.length).toBeGreaterThanOrEqual(8);
      expect(body.messages.some((m) => m.direction === 'inbound')).toBe(true);
      expect(body.totals.outboundByStatus.queued).toBeGreaterThan(0);
    });

    it('`leadline status` shows each consumer caught up, then behind while the worker is down', async () => {
      await settle();
      const status = async () => {
        const r = await runCli(['status', '--json'], e.env);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as {
          logBackend: string;
          consumers: Array<{ consumer: string; eventsBehind: number; checkpointAt: string | null }>;
        };
      };
      const caughtUp = await status();
      expect(caughtUp.logBackend).toBe(e.env.LOG_BACKEND);
      expect(caughtUp.consumers.map((c) => c.consumer)).toContain('processor:lead-conversation');
      for (const c of caughtUp.consumers) {
        expect(c, c.consumer).toMatchObject({ eventsBehind: 0, checkpointAt: expect.any(String) });
      }
      // With the worker down, a recorded fact leaves every consumer one event behind.
      await e.service.kill('SIGTERM');
      const caller = nextCaller();
      const log = await e.eventLog();
      await log.append([
        newEvent(
          {
            type: 'LeadStatusChanged',
            streamId: leadStreamId(tenantId, caller),
            tenantId,
            data: { phone: caller, status: 'contacted', changedBy: 'test', note: null },
            idempotencyKey: `status-test:${caller}`,
          },
          systemClock,
        ),
      ]);
      const behind = await status();
      for (const c of behind.consumers) expect(c.eventsBehind, c.consumer).toBe(1);
      await e.service.start();
      await settle();
      for (const c of (await status()).consumers) expect(c.eventsBehind, c.consumer).toBe(0);
    });
  },
);
