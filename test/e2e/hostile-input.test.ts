import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dialActionParams,
  gatherParams,
  inboundSmsParams,
  voiceCallParams,
} from '../../src/cli/webhook-client.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { countDeliveries, distinctCallers } from '../support/burst.ts';
import {
  ACCOUNT_SID,
  e2eBackends,
  newSid,
  OPERATOR_KEY,
  startE2eEnv,
  type E2eEnv,
} from '../support/e2e-env.ts';
import { sampleValue } from '../support/prometheus-text.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550140';
const OWNER = '+14165550149';

describe.each(e2eBackends())('hostile webhooks on the $backend log', ({ backend, env }) => {
  let e: E2eEnv;
  let tenantId: string;
  let seq = 0;
  const nextCaller = () => `+1289555${String(1000 + ++seq).padStart(4, '0')}`;
  const settle = () => waitUntilSettled(e.databaseUrl);

  beforeAll(async () => {
    e = await startE2eEnv({ ...env, LEADLINE_WEBHOOK_UNSIGNED_LIMIT: '20' });
    tenantId = await e.addTenant({
      name: 'Hostile Plumbing',
      number: NUMBER,
      owner: OWNER,
      extra: ['--alert-debounce', '0', '--daily-quota', '5000', '--owner-alert-cap', '5000'],
    });
  });
  afterAll(async () => {
    await e?.close();
  });

  /**
   * Events in the log (PostgreSQL: rows of `events`; Kafka: appends registered), leaving out
   * the streams of `except`.
   */
  const logSize = async (except: string[] = []) =>
    Number(
      (
        await e.db.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${backend === 'kafka' ? 'kafka_appends' : 'events'}
            WHERE stream_id <> ALL($1::text[])`,
          [except],
        )
      ).rows[0]!.n,
    );
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const res = await fetch(`${e.service.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    });
    return sampleValue(await res.text(), name, labels) ?? 0;
  };
  const text = (from: string, body: string, extra: Record<string, string> = {}) => {
    const sid = newSid('SM');
    return {
      sid,
      params: {
        ...inboundSmsParams({ messageSid: sid, accountSid: ACCOUNT_SID, from, to: NUMBER, body }),
        ...extra,
      },
    };
  };
  const inbound = async (caller: string) =>
    (await e.readStream(leadStreamId(tenantId, caller))).flatMap((ev) =>
      ev.type === 'SmsInbound' ? [ev.data] : [],
    );

  it('a signed NumMedia of ten million costs nothing: answered at once, media read only from the MediaUrl keys present', async () => {
    const caller = nextCaller();
    const { params } = text(caller, 'photos of the leak', {
      NumMedia: '10000000',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'http://attacker.example/tracker.gif',
      MediaContentType1: 'image/gif',
      MediaUrl7: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME7',
      MediaUrl50000: 'https://api.twilio.com/never-read',
    });
    const started = Date.now();
    const res = await e.webhooks.post('/twilio/sms', params);
    const tookMs = Date.now() - started;
    expect(res.status).toBe(200);
    await settle();
    const [recorded] = await inbound(caller);
    // Only https: URLs, only N below Twilio's 10; an absent N is skipped.
    expect(recorded!.media).toEqual([
      { url: params.MediaUrl0, contentType: 'image/jpeg' },
      { url: params.MediaUrl7, contentType: null },
    ]);
    console.log(`[hostile] ${backend}: NumMedia=10000000 answered in ${tookMs} ms`);
  });

  it('a NUL byte in a text or a CallStatus is not a 500: the text is recorded, answered and the owner alerted', async () => {
    const caller = nextCaller();
    const { params } = text(caller, 'burst pipe\u0000 in the basement');
    const res = await e.webhooks.post('/twilio/sms', params);
    expect(res.status).toBe(200);
    const call = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from: nextCaller(), to: NUMBER };
    const voice = await e.webhooks.post('/twilio/voice', {
      ...voiceCallParams(call),
      CallStatus: '\u0000',
    });
    expect(voice.status).toBe(200);
    await settle();
    const [recorded] = await inbound(caller);
    expect(recorded!.body).toBe('burst pipe\uFFFD in the basement');
    expect(e.twilio.to(caller)).toHaveLength(1); // the acknowledgement
    expect(e.twilio.to(OWNER).filter((m) => m.body.includes('burst pipe'))).toHaveLength(1);
  });

  it('only a real E.164 caller is a lead: SIP, client, Anonymous and Twilio placeholder numbers are never texted, only their missed calls alerted', async () => {
    const fakes = [
      'sip:+14165550000@example.com',
      'client:alice',
      'Anonymous',
      '+86282452253', // UNAVAILABLE
      '+266696687', // ANONYMOUS
      '+7378742833', // RESTRICTED
      '+2562533', // BLOCKED
      '+8656696', // UNKNOWN
      '12345', // a short code
    ];
    const alertsBefore = e.twilio.to(OWNER).length;
    const callSids: string[] = [];
    for (const from of fakes) {
      const call = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from, to: NUMBER };
      callSids.push(call.callSid);
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(call));
      expect(voice.status).toBe(200);
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)?.[1];
      if (action) {
        const dial = await e.webhooks.post(
          e.webhooks.relativeTo(action),
          dialActionParams(call, 'no-answer'),
        );
        expect(dial.status).toBe(200);
      }
      const sms = await e.webhooks.post('/twilio/sms', text(from, 'hello').params);
      expect(sms.status).toBe(200);
    }
    await settle();
    // Each call is recorded in its own stream (never a lead's) and its miss alerted once; the
    // texts from these senders record nothing.
    for (const from of fakes) expect(await e.readStream(leadStreamId(tenantId, from))).toEqual([]);
    for (const callSid of callSids) {
      const types = (await e.readStream(`call:${tenantId}:${callSid}`)).map((ev) => ev.type);
      expect(types.filter((t) => !t.startsWith('Outbound'))).toEqual([
        'WithheldCallReceived',
        'DialMissed',
      ]);
    }
    const alerts = e.twilio.to(OWNER).slice(alertsBefore);
    expect(alerts.map((m) => m.body)).toEqual(
      fakes.map(() => expect.stringMatching(/^Leadline: missed call from a withheld number at /)),
    );
    for (const to of ['+14165550000', '+86282452253', '+266696687'])
      expect(e.twilio.to(to)).toHaveLength(0);
  });

  // The unsigned path never reaches the log, whichever it is: the flood runs once.
  if (backend === 'postgres')
    it('unauthenticated floods store nothing and are rate-limited per address; signed traffic is never limited', async () => {
      const callers = distinctCallers('+1289556', 5);
      const realStreams = callers.map((c) => leadStreamId(tenantId, c));
      const before = await logSize(realStreams);
      const refusedBefore = await metric('leadline_webhooks_refused_total');
      const statuses: number[] = [];
      const signed: number[] = [];
      let sent = 0;
      const flood = async () => {
        while (sent < 1_000) {
          const i = sent++;
          const call = {
            callSid: newSid('CA'),
            accountSid: ACCOUNT_SID,
            from: nextCaller(),
            to: NUMBER,
          };
          const forged = await e.webhooks.post('/twilio/voice', voiceCallParams(call), {
            signature: i % 2 ? null : 'bm90IGEgc2lnbmF0dXJl',
          });
          statuses.push(forged.status);
        }
      };
      const realCalls = async () => {
        // Real missed calls from Twilio during the flood, from the same address.
        for (const caller of callers) {
          const real = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from: caller, to: NUMBER };
          const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(real));
          const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
          const dial = await e.webhooks.post(
            e.webhooks.relativeTo(action),
            dialActionParams(real, 'no-answer'),
          );
          signed.push(voice.status, dial.status);
          while (sent < 200 * (signed.length / 2)) await new Promise((r) => setTimeout(r, 5));
        }
      };
      await Promise.all([...Array.from({ length: 8 }, flood), realCalls()]);
      const forbidden = statuses.filter((s) => s === 403).length;
      const limited = statuses.filter((s) => s === 429).length;
      expect(forbidden).toBe(20);
      expect(limited).toBe(1_000 - 20);
      expect(signed).toEqual(Array(10).fill(200));
      await settle();
      const appended = (await logSize(realStreams)) - before;
      expect(appended).toBe(0);
      const counts = countDeliveries(
        e,
        OWNER,
        callers.map((caller) => ({ caller, answered: true, statuses: [200], durationsMs: [] })),
      );
      expect(counts.lost).toBe(0);
      expect((await metric('leadline_webhooks_refused_total')) - refusedBefore).toBe(1_000);
      console.log(
        `[hostile] ${backend}: 1,000 unsigned requests: ${forbidden} × 403, ${limited} × 429, ` +
          `${appended} events appended; 5 signed calls during the flood all answered and texted`,
      );
    });

  it('bodies that are not Twilio form posts, too large, or of another account are refused unstored', async () => {
    const before = await logSize();
    const call = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from: nextCaller(), to: NUMBER };
    const params = voiceCallParams(call);
    const json = await fetch(`${e.service.baseUrl}/twilio/voice`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-twilio-signature': e.webhooks.sign('/twilio/voice', params),
      },
      body: JSON.stringify(params),
    });
    expect(json.status).toBe(415);
    const huge = await e.webhooks.post('/twilio/voice', {
      ...params,
      To: '+1' + '4'.repeat(600_000),
    });
    expect(huge.status).toBe(413);
    // A callback URL is ours, but a signed one with a broken query is still refused, never a 500.
    for (const query of [
      '?tenantId=%00&callSid=' + call.callSid,
      `?tenantId=${tenantId}&callSid=%00`,
    ]) {
      const res = await e.webhooks.post(`/twilio/voice/screen${query}`, gatherParams(call, ''));
      expect(res.status).toBe(400);
    }
    const otherAccount = await e.webhooks.post('/twilio/voice', {
      ...params,
      AccountSid: 'AC' + '1'.repeat(32),
    });
    expect(otherAccount.status).toBe(403);
    await settle();
    expect(await logSize()).toBe(before);
    expect(
      await metric('leadline_webhooks_refused_total', { reason: 'wrong-account' }),
    ).toBeGreaterThan(0);
  });
});
