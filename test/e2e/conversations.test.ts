import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialActionParams, voiceCallParams } from '../../src/cli/webhook-client.ts';
import { leadRef } from '../../src/rules/lead-ref.ts';
import {
  ACCOUNT_SID,
  e2eBackends,
  newSid,
  OPERATOR_KEY,
  startE2eEnv,
  type E2eEnv,
} from '../support/e2e-env.ts';
import { actors } from '../support/actors.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550300';
const OWNER = '+14165550399';
const STAFF = '+14165550377';
/** `GET /api/v1/leads/{phone}`'s answer, as far as these tests read it. */
interface Timeline {
  timeline: Array<{ kind: string; summary: string; status: string; body: string | null }>;
}

const WINDOW_NUMBER = '+14165550400';
const WINDOW_OWNER = '+14165550499';
const OTHER_NUMBER = '+14165550500';

describe.each(e2eBackends())(
  'conversations on the $backend log: staff replies, takeover, withheld callers',
  ({ env }) => {
    let e: E2eEnv;
    let tenantId: string;
    let otherKey: string;
    let tenantKey: string;
    let seq = 0;
    const nextLead = () => `+1647555${String(3000 + ++seq).padStart(4, '0')}`;
    const act = actors(() => e);
    const settle = () => waitUntilSettled(e.databaseUrl);
    /** Texts the lead got, by purpose as the body shows it. */
    const textsTo = (phone: string) => e.twilio.to(phone).map((m) => m.body);

    beforeAll(async () => {
      e = await startE2eEnv(env);
      tenantId = await e.addTenant({
        name: 'Relay Plumbing',
        number: NUMBER,
        owner: OWNER,
        extra: ['--alert-debounce', '0', '--staff-phones', STAFF],
      });
      await e.addTenant({
        name: 'Window Plumbing',
        number: WINDOW_NUMBER,
        owner: WINDOW_OWNER,
        extra: ['--alert-debounce', '0', '--takeover-window', '3'],
      });
      const otherTenant = await e.addTenant({
        name: 'Other Plumbing',
        number: OTHER_NUMBER,
        owner: '+14165550599',
      });
      tenantKey = await act.createKey('--role', 'tenant', '--tenant', tenantId);
      otherKey = await act.createKey('--role', 'tenant', '--tenant', otherTenant);
    });
    afterAll(async () => {
      await e?.close();
    });

    it('a staff text is no lead and no acknowledgement: it reaches the lead of the latest alert, once, from the business number', async () => {
      const lead = nextLead();
      await act.missedCall(lead, NUMBER);
      await settle();
      const alert = e.twilio.to(OWNER).find((m) => m.body.includes(`-${lead.slice(-4)}`));
      expect(alert?.body).toContain(`#${leadRef(tenantId, lead)}`);

      // The owner answers the alert; Twilio delivers the webhook three times.
      await act.sms(OWNER, NUMBER, 'Hi, this is Sam. I can come at 3 pm today.', 3);
      await settle();
      const toLead = e.twilio.to(lead);
      expect(toLead.map((m) => m.body)).toEqual([
        expect.stringContaining('Sorry we missed your call'),
        'Hi, this is Sam. I can come at 3 pm today.',
      ]);
      expect(toLead[1]!.from).toBe(NUMBER);
      // The owner's phone became no lead, and was acknowledged nothing.
      const { rows } = await e.db.query(
        'SELECT phone FROM dashboard_leads WHERE tenant_id = $1 AND phone = ANY($2)',
        [tenantId, [OWNER, STAFF]],
      );
      expect(rows).toEqual([]);
      expect(e.twilio.to(OWNER).filter((m) => /got your message/.test(m.body))).toEqual([]);
      const timeline = (await (
        await act.api(`/leads/${encodeURIComponent(lead)}`, tenantKey)
      ).json()) as Timeline;
      expect(timeline.timeline.map((t: { summary: string }) => t.summary)).toContain('staff-reply');
    });

    it('a #code names the lead, whichever alert came last; retried ×3 still sends one', async () => {
      const [first, second] = [nextLead(), nextLead()];
      await act.missedCall(first, NUMBER);
      await act.missedCall(second, NUMBER);
      await settle();
      await act.sms(STAFF, NUMBER, `#${leadRef(tenantId, first)} Running 10 min late`, 3);
      await settle();
      expect(textsTo(first)).toContain('Running 10 min late');
      expect(textsTo(first)).toHaveLength(2);
      expect(textsTo(second)).toHaveLength(1); // its missed-call text only
      expect(e.twilio.to(STAFF)).toEqual([]);
    });

    it('to a lead who sent STOP: nothing reaches the lead, and the staff member is told why, once', async () => {
      const lead = nextLead();
      await act.missedCall(lead, NUMBER);
      await act.sms(lead, NUMBER, 'STOP');
      await settle();
      const before = textsTo(lead).length; // the missed-call text and the opt-out confirmation
      await act.sms(STAFF, NUMBER, `#${leadRef(tenantId, lead)} Are you still there?`, 3);
      await settle();
      expect(textsTo(lead)).toHaveLength(before);
      const told = e.twilio.to(STAFF).filter((m) => m.body.includes('opted out'));
      expect(told).toHaveLength(1);
      expect(told[0]!.from).toBe(NUMBER);
    });

    it('a staff text that names no lead gets one short help text and sends nothing', async () => {
      const before = e.twilio.to(STAFF).length;
      const sent = e.twilio.messages.length;
      await act.sms(STAFF, NUMBER, 'hello?', 2);
      await settle();
      const help = e.twilio.to(STAFF).slice(before);
      expect(help).toHaveLength(1);
      expect(help[0]!.body).toContain('Which customer?');
      expect(e.twilio.messages.length).toBe(sent + 1);
    });

    it('a dashboard reply sends one text, shown in the timeline; another tenant’s key gets 403 and sends nothing', async () => {
      const lead = nextLead();
      await act.missedCall(lead, NUMBER);
      await settle();
      const post = (key: string, idempotencyKey: string, query = '') =>
        act.api(`/leads/${encodeURIComponent(lead)}/messages${query}`, key, {
          method: 'POST',
          body: JSON.stringify({ body: 'We can be there tomorrow at 9.' }),
          headers: { 'idempotency-key': idempotencyKey },
        });
      const refused = await post(otherKey, 'k-other', `?tenant=${tenantId}`);
      expect(refused.status).toBe(403);
      const first = await post(tenantKey, 'k1');
      expect(first.status).toBe(202);
      const again = await post(tenantKey, 'k1');
      const [a, b] = (await Promise.all([again.json(), first.json()])) as Array<{
        replyId: string;
      }>;
      expect(a!.replyId).toBe(b!.replyId);
      const noKey = await act.api(`/leads/${encodeURIComponent(lead)}/messages`, tenantKey, {
        method: 'POST',
        body: JSON.stringify({ body: 'x' }),
      });
      expect(noKey.status).toBe(400);
      const second = await post(tenantKey, 'k2'); // a new key: a second reply
      expect(second.status).toBe(202);
      await settle();
      expect(textsTo(lead).filter((b) => b === 'We can be there tomorrow at 9.')).toHaveLength(2);
      const timeline = (await (
        await act.api(`/leads/${encodeURIComponent(lead)}`, tenantKey)
      ).json()) as Timeline;
      const replies = timeline.timeline.filter(
        (t: { summary: string }) => t.summary === 'staff-reply',
      );
      expect(replies.length).toBe(2);
      expect(replies[0]!.status).toMatch(/sent|delivered|queued/);
      expect(replies[0]!.body).toBe('We can be there tomorrow at 9.');
    });

    it('a dashboard reply to a lead who opted out is refused with the reason; a long one too', async () => {
      const lead = nextLead();
      await act.sms(lead, NUMBER, 'STOP');
      await settle();
      const res = await act.api(
        `/leads/${encodeURIComponent(lead)}/messages?tenant=${tenantId}`,
        OPERATOR_KEY,
        {
          method: 'POST',
          body: JSON.stringify({ body: 'Hello?' }),
          headers: { 'idempotency-key': 'k-stop' },
        },
      );
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LEAD_OPTED_OUT');
      const long = await act.api(
        `/leads/${encodeURIComponent(lead)}/messages?tenant=${tenantId}`,
        OPERATOR_KEY,
        {
          method: 'POST',
          body: JSON.stringify({ body: 'x'.repeat(1601) }),
          headers: { 'idempotency-key': 'k-long' },
        },
      );
      expect(long.status).toBe(400);
    });

    it('a staff reply inside the takeover window replaces the missed-call text; later texts get no acknowledgement but still alert', async () => {
      const lead = nextLead();
      await act.missedCall(lead, WINDOW_NUMBER);
      await settle();
      expect(textsTo(lead)).toEqual([]); // held for the window
      expect(
        e.twilio.to(WINDOW_OWNER).filter((m) => m.body.includes(`-${lead.slice(-4)}`)),
      ).toHaveLength(1);
      await act.sms(WINDOW_OWNER, WINDOW_NUMBER, 'Hi, Sam here, calling you in 5');
      await new Promise((r) => setTimeout(r, 4_000)); // past the window
      await settle();
      expect(textsTo(lead)).toEqual([
        'Hi, Sam here, calling you in 5\n— Window Plumbing. Reply STOP to opt out.',
      ]);
      await act.sms(lead, WINDOW_NUMBER, 'ok thanks, door is open');
      await settle();
      expect(textsTo(lead)).toHaveLength(1); // no acknowledgement
      expect(e.twilio.to(WINDOW_OWNER).filter((m) => m.body.includes('door is open'))).toHaveLength(
        1,
      );
    });

    it('without a reply in the window, the missed-call text goes once the window ends', async () => {
      const lead = nextLead();
      await act.missedCall(lead, WINDOW_NUMBER);
      await new Promise((r) => setTimeout(r, 4_000));
      await settle();
      expect(textsTo(lead)).toEqual([expect.stringContaining('Sorry we missed your call')]);
    });

    it('a call-back rings the staff phone, then dials the lead from the business number, once per key; the lead is taken over', async () => {
      const lead = nextLead();
      await act.missedCall(lead, NUMBER);
      await settle();
      const post = (key: string, body: object, apiKey = tenantKey) =>
        act.api(`/leads/${encodeURIComponent(lead)}/call?tenant=${tenantId}`, apiKey, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'idempotency-key': key },
        });
      expect((await post('c0', { staffPhone: '+14165550123' })).status).toBe(400);
      expect((await post('c-other', {}, otherKey)).status).toBe(403);
      const first = await post('c1', { staffPhone: STAFF });
      expect(first.status).toBe(202);
      expect((await post('c1', { staffPhone: STAFF })).status).toBe(202);
      await settle();
      const calls = e.twilio.calls.filter((c) => c.to === STAFF);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.from).toBe(NUMBER);
      expect(calls[0]!.twiml).toMatch(
        new RegExp(`<Dial callerId="\\${NUMBER}"[^>]*><Number>\\${lead}</Number></Dial>`),
      );
      const types = (await e.readStream(`lead:${tenantId}:${lead}`)).map((ev) => ev.type);
      expect(types.filter((t) => t.startsWith('CallBack'))).toEqual([
        'CallBackRequested',
        'CallBackPlaced',
      ]);
      const timeline = (await (
        await act.api(`/leads/${encodeURIComponent(lead)}`, tenantKey)
      ).json()) as Timeline;
      expect(timeline.timeline.filter((t) => t.summary.startsWith('call-back'))).toEqual([
        expect.objectContaining({ kind: 'call-back', status: 'placed' }),
      ]);
      // The call took the conversation over: the lead's text is not acknowledged.
      const before = textsTo(lead).length;
      await act.sms(lead, NUMBER, 'Thanks for calling, see you at 3');
      await settle();
      expect(textsTo(lead)).toHaveLength(before);
      expect(e.twilio.to(OWNER).filter((m) => m.body.includes('see you at 3'))).toHaveLength(1);
    });

    it.each(['Anonymous', '+266696687', ''])(
      'a missed call from a withheld number (%j): one owner alert, no text, no consent; ×3 retries still one',
      async (from) => {
        const before = e.twilio.messages.length;
        const alertsBefore = e.twilio.to(OWNER).length;
        const call = await act.missedCall(from, NUMBER, 3);
        expect(call.voice).toContain(`<Number>${OWNER}</Number>`);
        expect(call.dial).toContain('hidden');
        await settle();
        const alerts = e.twilio.to(OWNER).slice(alertsBefore);
        expect(alerts.map((m) => m.body)).toEqual([
          expect.stringMatching(
            /^Leadline: missed call from a withheld number at .* they may call back/,
          ),
        ]);
        expect(e.twilio.messages.length).toBe(before + 1);
        const events = await e.readStream(`call:${tenantId}:${call.callSid}`);
        expect(events.map((ev) => ev.type).filter((t) => !t.startsWith('Outbound'))).toEqual([
          'WithheldCallReceived',
          'DialMissed',
        ]);
        const consent = await e.db.query(
          `SELECT count(*)::int AS n FROM consent_records WHERE tenant_id = $1 AND phone !~ '^\\+1647'`,
          [tenantId],
        );
        expect(consent.rows[0].n).toBe(0);
      },
    );

    it('a staff phone calling the business number is never recorded', async () => {
      const c = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from: STAFF, to: NUMBER };
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      expect(voice.body).toContain(`<Number>${OWNER}</Number>`);
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      await e.webhooks.post(e.webhooks.relativeTo(action), dialActionParams(c, 'no-answer'));
      await settle();
      expect(await e.readStream(`lead:${tenantId}:${STAFF}`)).toEqual([]);
      expect(await e.readStream(`call:${tenantId}:${c.callSid}`)).toEqual([]);
    });
  },
);
