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
import { FakeTwilio } from '../../harness/fake-twilio.ts';
import { waitUntilSettled, waitUntilTimersFired } from '../support/settle.ts';

const NUMBER = '+14165550300';
const OWNER = '+14165550399';
const STAFF = '+14165550377';
/** `GET /api/v1/leads/{phone}`'s answer, as far as these tests read it. */
interface Timeline {
  timeline: Array<{
    kind: string;
    summary: string;
    status: string;
    body: string | null;
    recordingSid: string | null;
  }>;
}

const WINDOW_NUMBER = '+14165550400';
const WINDOW_OWNER = '+14165550499';
const OTHER_NUMBER = '+14165550500';
const VOICEMAIL_NUMBER = '+14165550600';
const VOICEMAIL_OWNER = '+14165550699';

describe.each(e2eBackends())(
  'conversations on the $backend log: staff replies, takeover, withheld callers',
  ({ env }) => {
    let e: E2eEnv;
    let tenantId: string;
    let otherKey: string;
    let tenantKey: string;
    let voicemailTenantId: string;
    let seq = 0;
    const nextLead = () => `+1647555${String(3000 + ++seq).padStart(4, '0')}`;
    const act = actors(() => e);
    const settle = () => waitUntilSettled(e.databaseUrl);
    /** Past every window or wait under way: its timer has fired and the service settled. */
    const pastTheWindow = () => waitUntilTimersFired(e.databaseUrl);
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
      voicemailTenantId = await e.addTenant({
        name: 'Voicemail Plumbing',
        number: VOICEMAIL_NUMBER,
        owner: VOICEMAIL_OWNER,
        extra: ['--alert-debounce', '0', '--voicemail', 'on', '--voicemail-wait', '3'],
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

    it("a staff phone's STOP or HELP is never relayed to a customer, nor answered", async () => {
      const lead = nextLead();
      await act.missedCall(lead, NUMBER);
      await settle();
      const sent = e.twilio.messages.length;
      await act.sms(OWNER, NUMBER, 'STOP');
      await act.sms(STAFF, NUMBER, `#${leadRef(tenantId, lead)} HELP`);
      await settle();
      expect(e.twilio.messages.length).toBe(sent);
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
      await pastTheWindow();
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
      await pastTheWindow();
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
      // The staff member hears "press 1"; only the key dials the lead, from the business number.
      const connect = /<Gather [^>]*action="([^"]+)"/.exec(calls[0]!.twiml)?.[1];
      expect(connect, calls[0]!.twiml).toBeDefined();
      expect(calls[0]!.twiml).not.toContain('<Dial');
      const path = e.webhooks.relativeTo(connect!.replaceAll('&amp;', '&'));
      const gather = { AccountSid: ACCOUNT_SID, CallSid: calls[0]!.sid, From: NUMBER, To: STAFF };
      const noKey = await e.webhooks.post(path, { ...gather, Digits: '' });
      expect(noKey.body).not.toContain('<Dial');
      const pressed = await e.webhooks.post(path, { ...gather, Digits: '1' });
      expect(pressed.body).toMatch(
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

    /** Twilio's `<Record>` attributes in a TwiML answer, as paths Twilio would call. */
    const recordUrls = (twiml: string) => {
      const attr = (name: string) => {
        const value = new RegExp(`<Record[^>]* ${name}="([^"]+)"`).exec(twiml)?.[1];
        expect(value, `${name} in ${twiml}`).toBeDefined();
        return e.webhooks.relativeTo(value!.replaceAll('&amp;', '&'));
      };
      return {
        action: attr('action'),
        recording: attr('recordingStatusCallback'),
        transcription: attr('transcribeCallback'),
      };
    };
    /** A caller leaves a voicemail: Twilio's `<Record action>` and recording callback. */
    async function leaveVoicemail(call: { callSid: string; dial: string }) {
      const urls = recordUrls(call.dial);
      const recordingSid = newSid('RE');
      const base = { AccountSid: ACCOUNT_SID, CallSid: call.callSid, RecordingSid: recordingSid };
      const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recordingSid}`;
      const ended = await e.webhooks.post(urls.action, {
        ...base,
        RecordingUrl: recordingUrl,
        RecordingDuration: '14',
        Digits: 'hangup',
      });
      expect(ended.body).toContain('<Hangup/>');
      const recorded = await e.webhooks.post(urls.recording, {
        ...base,
        RecordingUrl: recordingUrl,
        RecordingStatus: 'completed',
        RecordingDuration: '14',
        RecordingChannels: '1',
        RecordingSource: 'RecordVerb',
      });
      expect(recorded.status).toBe(200);
      const transcribe = (text: string) =>
        e.webhooks.post(urls.transcription, {
          ...base,
          TranscriptionSid: newSid('TR'),
          TranscriptionStatus: 'completed',
          TranscriptionText: text,
          TranscriptionType: 'fast',
          TranscriptionUrl: `${recordingUrl}/Transcriptions`,
          RecordingUrl: recordingUrl,
          Url: `${recordingUrl}/Transcriptions`,
        });
      return { transcribe, recordingSid };
    }
    const voicemailAlerts = (lead: string) =>
      e.twilio.to(VOICEMAIL_OWNER).filter((m) => m.body.includes(`-${lead.slice(-4)}`));
    const waitFor = async (check: () => boolean, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(check()).toBe(true);
    };

    it('a voicemail transcribed within the wait: one alert carrying the transcript, one text to the caller', async () => {
      const lead = nextLead();
      const call = await act.missedCall(lead, VOICEMAIL_NUMBER);
      expect(call.dial).toMatch(/<Record [^>]*transcribe="true"/);
      const voicemail = await leaveVoicemail(call);
      await settle();
      expect(voicemailAlerts(lead)).toEqual([]); // waiting for the transcript
      const transcribed = await voicemail.transcribe(
        'Hi, my water heater is leaking in the basement',
      );
      expect(transcribed.status).toBe(200);
      await pastTheWindow(); // past the wait: nothing more comes
      expect(voicemailAlerts(lead).map((m) => m.body)).toEqual([
        expect.stringContaining('Voicemail: "Hi, my water heater is leaking in the basement"'),
      ]);
      expect(textsTo(lead)).toEqual([expect.stringContaining('Sorry we missed your call')]);

      // The timeline shows the transcript; the audio comes through the authenticated proxy.
      const key = await act.createKey('--role', 'tenant', '--tenant', voicemailTenantId);
      const timeline = (await (
        await act.api(`/leads/${encodeURIComponent(lead)}`, key)
      ).json()) as Timeline;
      expect(timeline.timeline.filter((t) => t.kind === 'voicemail')).toEqual([
        expect.objectContaining({
          status: 'transcribed',
          body: 'Hi, my water heater is leaking in the basement',
          recordingSid: voicemail.recordingSid,
        }),
      ]);
      const audioPath = `/leads/${encodeURIComponent(lead)}/voicemails/${voicemail.recordingSid}`;
      const audio = await act.api(audioPath, key);
      expect(audio.status).toBe(200);
      expect(audio.headers.get('content-type')).toBe('audio/mpeg');
      expect(Buffer.from(await audio.arrayBuffer())).toEqual(
        FakeTwilio.recordingBytes(voicemail.recordingSid),
      );
      expect((await act.api(`${audioPath}?tenant=${voicemailTenantId}`, otherKey)).status).toBe(
        403,
      );
      expect((await act.api(audioPath, otherKey)).status).toBe(404); // not its lead
      expect((await act.api(audioPath, undefined)).status).toBe(401);
      const stranger = `/leads/${encodeURIComponent(lead)}/voicemails/RE${'0'.repeat(32)}`;
      expect((await act.api(stranger, key)).status).toBe(404);
    });

    it('a transcript later than the wait: the alert goes, then the transcript follows once', async () => {
      const lead = nextLead();
      const call = await act.missedCall(lead, VOICEMAIL_NUMBER);
      const voicemail = await leaveVoicemail(call);
      await waitFor(() => voicemailAlerts(lead).length === 1);
      expect(voicemailAlerts(lead)[0]!.body).toContain('its transcript will follow');
      await voicemail.transcribe('Please call me back about the toilet');
      await settle();
      expect(voicemailAlerts(lead).map((m) => m.body)).toEqual([
        expect.stringContaining('its transcript will follow'),
        expect.stringMatching(/^Leadline: voicemail from .*"Please call me back about the toilet"/),
      ]);
      expect(textsTo(lead)).toHaveLength(1);
    });

    it('killed between the recording callback and the alert: still exactly one alert', async () => {
      const lead = nextLead();
      const call = await act.missedCall(lead, VOICEMAIL_NUMBER);
      await leaveVoicemail(call);
      await e.service.kill('SIGKILL');
      await e.service.start();
      await waitFor(() => voicemailAlerts(lead).length > 0, 30_000);
      await settle();
      expect(voicemailAlerts(lead)).toHaveLength(1);
      expect(textsTo(lead)).toHaveLength(1);
    });

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
