import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialActionParams, voiceCallParams } from '../../src/cli/webhook-client.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { ACCOUNT_SID, e2eBackends, newSid, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { countDeliveries, distinctCallers, missedCallBurst } from '../support/burst.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550120';
const OWNER = '+14165550129';

describe.each(e2eBackends())(
  'SIGKILL between the webhook and the send, on the $backend log: the text goes out exactly once',
  ({ backend, env }) => {
    let e: E2eEnv;
    let tenantId: string;
    let callerSeq = 0;
    const nextCaller = () => `+1905555${String(100 + ++callerSeq).padStart(4, '0')}`;

    beforeAll(async () => {
      e = await startE2eEnv(env);
      tenantId = await e.addTenant({ name: 'Crash Test Plumbing', number: NUMBER, owner: OWNER });
    });
    afterAll(async () => {
      await e?.close();
    });

    async function missedCall(caller: string) {
      const c = { callSid: newSid('CA'), accountSid: ACCOUNT_SID, from: caller, to: NUMBER };
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      const dial = await e.webhooks.post(
        e.webhooks.relativeTo(action),
        dialActionParams(c, 'no-answer'),
      );
      expect(dial.status).toBe(200);
      return c;
    }

    async function restart() {
      await e.service.kill('SIGKILL');
      await e.service.start();
    }

    const sentEvents = async (caller: string) =>
      (await e.readStream(leadStreamId(tenantId, caller))).filter(
        (ev) => ev.type === 'OutboundSmsSent' && ev.data.to === caller,
      ).length;

    it('killed right after the webhook was answered', async () => {
      for (const delayMs of [0, 40]) {
        const caller = nextCaller();
        await missedCall(caller);
        await sleep(delayMs);
        await restart();
        await waitUntilSettled(e.databaseUrl);
        expect(e.twilio.to(caller)).toHaveLength(1);
        expect(
          e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`)),
        ).toHaveLength(1);
      }
    });

    it('killed while Twilio had accepted the text but not yet answered: not sent again', async () => {
      const caller = nextCaller();
      e.twilio.respondNext('hang', 'hang');
      await missedCall(caller);
      const deadline = Date.now() + 10_000;
      while (e.twilio.to(caller).length === 0 && Date.now() < deadline) await sleep(20);
      expect(e.twilio.to(caller)).toHaveLength(1);
      await restart();
      await waitUntilSettled(e.databaseUrl);
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(
        e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`)),
      ).toHaveLength(1);
      // The recovered attempt asked Twilio (GET Messages.json) and recorded what it found.
      expect(e.twilio.requests.some((r) => r.method === 'GET')).toBe(true);
      expect(await sentEvents(caller)).toBe(1);
    });

    it('killed while Twilio held the owner alert, then 60 more texts to the owner: alerted once', async () => {
      const caller = nextCaller();
      const alertsFor = () =>
        e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`));
      e.twilio.respondNext('hang', 'hang'); // the text to the caller and the owner's alert
      await missedCall(caller);
      const deadline = Date.now() + 10_000;
      while (alertsFor().length === 0 && Date.now() < deadline) await sleep(20);
      const [original] = alertsFor();
      expect(original).toBeDefined();
      await e.service.kill('SIGKILL');
      // Before the lease runs out, more than a page (50) of other texts reach the owner.
      e.twilio.seedSent(OWNER, NUMBER, 60);
      await e.service.start();
      await waitUntilSettled(e.databaseUrl);
      expect(alertsFor()).toHaveLength(1);
      // The recovered attempt read Twilio's history past its first page.
      expect(e.twilio.requests.some((r) => r.method === 'GET' && r.params.PageToken)).toBe(true);
      const sent = (await e.readStream(leadStreamId(tenantId, caller))).filter(
        (ev) => ev.type === 'OutboundSmsSent' && ev.data.to === OWNER,
      );
      expect(sent.map((ev) => ev.type === 'OutboundSmsSent' && ev.data.messageSid)).toEqual([
        original!.sid,
      ]);
    });

    it('Twilio accepted but its answer never came (timeout): reconciled, not sent again', async () => {
      const caller = nextCaller();
      e.twilio.respondNext('hang', 'hang');
      await missedCall(caller);
      await waitUntilSettled(e.databaseUrl);
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(await sentEvents(caller)).toBe(1);
    });

    it('killed mid-burst: every caller answered is texted once, the owner alerted once', async () => {
      const number = '+14165550121';
      const owner = '+14165550128';
      await e.addTenant({
        name: 'Burst Plumbing',
        number,
        owner,
        extra: ['--daily-quota', '5000', '--owner-alert-cap', '5000'],
      });
      // Killed with calls in flight; then the burst goes on against the restarted service.
      const callers = distinctCallers('+1905559', 48);
      const before = await missedCallBurst(e, {
        number,
        callers: callers.slice(0, 24),
        concurrency: 4,
        paceMs: 100,
        fault: { at: 12, run: () => e.service.kill('SIGKILL').then(() => undefined) },
      });
      await e.service.start();
      const after = await missedCallBurst(e, {
        number,
        callers: callers.slice(24),
        concurrency: 4,
      });
      const outcomes = [...before, ...after];
      await waitUntilSettled(e.databaseUrl, undefined, 90_000);
      const counts = countDeliveries(e, owner, outcomes);
      console.log(
        `[crash] ${backend}: service SIGKILLed mid-burst: ${outcomes.length} callers, ` +
          `${counts.answered} answered, lost ${counts.lost}, duplicate texts ${counts.duplicateTexts}, ` +
          `duplicate owner alerts ${counts.duplicateAlerts}`,
      );
      // Callers after the restart were answered (those in flight at the kill were not).
      expect(after.every((o) => o.answered)).toBe(true);
      expect(counts.lost).toBe(0);
      expect(counts.duplicateTexts).toBe(0);
      expect(counts.duplicateAlerts).toBe(0);
    }, 180_000);

    it('killed while Twilio was unreachable: sent once Twilio is back', async () => {
      const caller = nextCaller();
      const port = Number(new URL(e.twilio.url).port);
      await e.twilio.stop();
      await missedCall(caller);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await e.db.query(
          `SELECT attempts, last_error FROM outbound_messages WHERE to_number = $1`,
          [caller],
        );
        if (rows[0]?.attempts >= 1 && rows[0]?.last_error) break;
        if (Date.now() > deadline) throw new Error('sender never tried');
        await sleep(50);
      }
      await e.service.kill('SIGKILL');
      await e.twilio.start(port);
      await e.service.start();
      await waitUntilSettled(e.databaseUrl);
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(await sentEvents(caller)).toBe(1);
    });
  },
);
