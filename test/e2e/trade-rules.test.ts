import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dialActionParams,
  gatherParams,
  inboundSmsParams,
  voiceCallParams,
} from '../../src/cli/webhook-client.ts';
import { receiveSms } from '../../src/commands/receive-sms.ts';
import { tenantDirectory } from '../../src/projections/tenants/tenant-directory.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { deterministicId } from '../../src/shared/ids.ts';
import type { E164 } from '../../src/shared/phone.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import {
  ACCOUNT_SID,
  closedNowHours,
  newSid,
  OPERATOR_KEY,
  startE2eEnv,
  torontoWindowLater,
  type E2eEnv,
} from '../support/e2e-env.ts';
import { runCli } from '../../harness/service-process.ts';
import { waitUntilSettled } from '../support/settle.ts';

/**
 * A fixed-offset IANA zone where it is now between 12:00 and 13:00, and today's local date
 * there, so schedule rules can be exercised against the real clock the service uses.
 */
function noonZone(): { timezone: string; today: string } {
  const now = new Date();
  const offset = 12 - now.getUTCHours(); // local = UTC + offset, in [-11, +12]
  // IANA's Etc/GMT zones have the sign reversed: Etc/GMT-5 is UTC+5.
  const timezone = offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
  const today = new Date(now.getTime() + offset * 3_600_000).toISOString().slice(0, 10);
  return { timezone, today };
}

/** The id `tenants add` gives the tenant of Twilio number `number`. */
const tenantIdOf = (number: string) => deterministicId('tenant', number);

/** Polls `condition` every 100 ms until it holds. @throws after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * The rules of the trade (issue 4), end to end: signed webhooks into `leadline serve`, texts
 * out to the local Twilio-compatible server. One service for the whole file; each rule uses
 * its own tenant and callers.
 */
describe('rules of the trade, end to end', () => {
  let e: E2eEnv;
  let seq = 0;
  const nextCaller = () => `+1647556${String(1000 + ++seq).padStart(4, '0')}`;
  const settle = () => waitUntilSettled(e.databaseUrl);
  const call = (from: string, to: string) => ({
    callSid: newSid('CA'),
    accountSid: ACCOUNT_SID,
    from,
    to,
  });

  beforeAll(async () => {
    // Three attempts (about 3 s of backoff) before a transient failure is final.
    e = await startE2eEnv({ LOG_BACKEND: 'postgres', LEADLINE_SEND_MAX_ATTEMPTS: '3' });
  });

  async function sms(from: string, to: string, body: string, extra: Record<string, string> = {}) {
    const res = await e.webhooks.post('/twilio/sms', {
      ...inboundSmsParams({ messageSid: newSid('SM'), accountSid: ACCOUNT_SID, from, to, body }),
      ...extra,
    });
    expect(res.status).toBe(200);
    return res;
  }
  afterAll(async () => {
    await e?.close();
  });

  describe('schedule: weekdays, evening, holidays', () => {
    const NUMBER = '+14165551000';
    const OWNER = '+14165551099';
    const zone = noonZone();
    let tenantId: string;

    beforeAll(async () => {
      tenantId = await e.addTenant({
        name: 'Holiday Heating',
        number: NUMBER,
        owner: OWNER,
        timezone: zone.timezone,
        hours: '00:00-24:00',
        extra: ['--closed', zone.today],
      });
    });

    it('a closed date is after hours all day, and `tenants update` reopens it for the next call', async () => {
      const caller = nextCaller();
      const closed = await e.webhooks.post('/twilio/voice', voiceCallParams(call(caller, NUMBER)));
      expect(closed.body).not.toContain('<Dial');
      expect(closed.body).toMatch(/closed right now/);

      const update = await runCli(['tenants', 'update', NUMBER, '--closed', ''], e.env);
      expect(update.code, update.stderr).toBe(0);
      expect(update.stdout).toContain('changed closedDates');
      const open = await e.webhooks.post('/twilio/voice', voiceCallParams(call(caller, NUMBER)));
      expect(open.body).toContain(`<Number>${OWNER}</Number>`);
      await settle();
      const configured = await e.readStream(`tenant:${tenantId}`);
      expect(configured.map((ev) => ev.type)).toEqual(['TenantRegistered', 'TenantConfigured']);
    });

    it('after closing, the evening still rings the owner and is recorded as evening', async () => {
      const update = await runCli(
        [
          'tenants',
          'update',
          tenantId,
          '--business-hours',
          '07:00-11:00',
          '--evening-until',
          '23:00',
        ],
        e.env,
      );
      expect(update.code, update.stderr).toBe(0);
      const caller = nextCaller();
      const c = call(caller, NUMBER);
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      expect(voice.body).toContain(`<Number>${OWNER}</Number>`);
      await settle();
      const [received] = await e.readStream(leadStreamId(tenantId, caller));
      expect(received).toMatchObject({ type: 'CallReceived', data: { mode: 'evening' } });
    });

    it('a weekday set to closed has no evening: after-hours notice', async () => {
      const weekday = new Intl.DateTimeFormat('en-US', {
        timeZone: zone.timezone,
        weekday: 'short',
      })
        .format(new Date())
        .toLowerCase();
      const update = await runCli(
        ['tenants', 'update', tenantId, '--weekly-hours', `${weekday}=closed`],
        e.env,
      );
      expect(update.code, update.stderr).toBe(0);
      const voice = await e.webhooks.post(
        '/twilio/voice',
        voiceCallParams(call(nextCaller(), NUMBER)),
      );
      expect(voice.body).not.toContain('<Dial');
    });

    it('refuses a bad schedule with a clear message and records nothing', async () => {
      const bad = await runCli(
        ['tenants', 'update', tenantId, '--weekly-hours', 'funday=9-5'],
        e.env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('"funday=9-5" in the weekly hours');
      const missing = await runCli(['tenants', 'update', '+14165559999', '--closed', ''], e.env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no tenant has id or Twilio number "+14165559999"');
    });
  });

  describe('owner alerts: grouped over the debounce window on a durable timer', () => {
    const NUMBER = '+14165551100';
    const OWNER = '+14165551199';

    beforeAll(async () => {
      await e.addTenant({
        name: 'Chatty Lead Plumbing',
        number: NUMBER,
        owner: OWNER,
        // The qualifying assistant is off: these are the rules of acknowledgements and alerts
        // (test/e2e/qualification.test.ts has the assistant).
        extra: ['--qualifying-questions', '0', '--alert-debounce', '2', '--alert-max-wait', '4'],
      });
    });
    const alertsAbout = (caller: string) =>
      e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`));

    it('three texts in quick succession: one acknowledgement, then one alert listing all three', async () => {
      const caller = nextCaller();
      for (const body of ['Hi', 'Kitchen sink is clogged', 'Can you come Tuesday?']) {
        await sms(caller, NUMBER, body);
      }
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(alertsAbout(caller)).toHaveLength(0); // still inside the window
      await waitFor(() => alertsAbout(caller).length > 0, 10_000);
      await settle();
      expect(alertsAbout(caller).map((m) => m.body)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^STANDARD: 3 texts from \\(647\\) 556-${caller.slice(-4)}: "Hi" / "Kitchen sink is clogged" / "Can you come Tuesday\\?" Reply to text them \\(#\\d{4}\\)\\.$`,
          ),
        ),
      ]);
    });

    it('an EMERGENCY text is not delayed', async () => {
      const caller = nextCaller();
      await sms(caller, NUMBER, 'Pipe burst in the basement, water everywhere');
      await settle();
      expect(alertsAbout(caller).map((m) => m.body)).toEqual([
        expect.stringMatching(/^EMERGENCY: text from/),
      ]);
    });

    it('a restart inside the window loses nothing and sends once', async () => {
      const caller = nextCaller();
      await sms(caller, NUMBER, 'Are you open Saturday?');
      await settle();
      await e.service.kill('SIGKILL');
      await e.service.start();
      await waitFor(() => alertsAbout(caller).length > 0, 15_000);
      await settle();
      expect(alertsAbout(caller)).toHaveLength(1);
      expect(alertsAbout(caller)[0]!.body).toContain('Are you open Saturday?');
    });
  });

  describe('after-hours emergency mode: "press 1" for the on-call phone', () => {
    const NUMBER = '+14165551200';
    const OWNER = '+14165551299';
    const ON_CALL = '+14165551288';

    beforeAll(async () => {
      await e.addTenant({
        name: 'Night Owl Emergency Plumbing',
        number: NUMBER,
        owner: OWNER,
        timezone: 'UTC',
        hours: closedNowHours(),
        extra: ['--emergency-mode', 'on', '--emergency-phone', ON_CALL, '--alert-debounce', '0'],
      });
    });

    /** Calls after hours and answers the menu with `digits`; returns the call and both TwiMLs. */
    async function callAndPress(digits: string) {
      const caller = nextCaller();
      const c = call(caller, NUMBER);
      const menu = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Gather[^>]*action="([^"]+)"/.exec(menu.body)?.[1];
      expect(action, menu.body).toBeDefined();
      expect(menu.body).toContain('numDigits="1"');
      const choice = await e.webhooks.post(e.webhooks.relativeTo(action!), gatherParams(c, digits));
      expect(choice.status).toBe(200);
      return { caller, c, choice };
    }

    it('pressing 1 connects the on-call phone; if it answers, nobody is texted', async () => {
      const { caller, c, choice } = await callAndPress('1');
      expect(choice.body).toContain(`<Number>${ON_CALL}</Number>`);
      const dialAction = /<Dial[^>]*action="([^"]+)"/.exec(choice.body)![1]!;
      expect(dialAction).toContain('leg=on-call');
      await e.webhooks.post(
        e.webhooks.relativeTo(dialAction),
        dialActionParams(c, 'completed', 95),
      );
      await settle();
      expect(e.twilio.to(caller)).toHaveLength(0);
      expect(
        e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`)),
      ).toHaveLength(0);
    });

    it('pressing 1 and the on-call phone missing: the caller gets an apology text, the owner an EMERGENCY alert', async () => {
      const { caller, c, choice } = await callAndPress('1');
      const dialAction = /<Dial[^>]*action="([^"]+)"/.exec(choice.body)![1]!;
      const missed = await e.webhooks.post(
        e.webhooks.relativeTo(dialAction),
        dialActionParams(c, 'no-answer'),
      );
      expect(missed.body).toMatch(/on-call technician couldn't pick up/);
      await settle();
      expect(e.twilio.to(caller).map((m) => m.body)).toEqual([
        expect.stringContaining("on-call technician couldn't pick up"),
      ]);
      expect(
        e.twilio
          .to(OWNER)
          .filter((m) => m.body.includes(`-${caller.slice(-4)}`))
          .map((m) => m.body),
      ).toEqual([expect.stringMatching(/^EMERGENCY: .* on-call phone did not answer/)]);
      const events = await e.readStream(leadStreamId(tenantIdOf(NUMBER), caller));
      expect(events.map((ev) => ev.type)).toContain('EmergencyEscalated');
    });

    it('not pressing 1 falls through to the normal after-hours text and alert', async () => {
      const { caller, choice } = await callAndPress('');
      expect(choice.body).toMatch(/text message in a moment/);
      await settle();
      expect(e.twilio.to(caller).map((m) => m.body)).toEqual([
        expect.stringContaining('Sorry we missed your call'),
      ]);
      expect(
        e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`)),
      ).toHaveLength(1);
    });
  });

  describe('call screening: a whisper on the owner\'s leg, "press 1 to take this call"', () => {
    const NUMBER = '+14165551300';
    const OWNER = '+14165551399';

    beforeAll(async () => {
      await e.addTenant({
        name: 'Screened Plumbing',
        number: NUMBER,
        owner: OWNER,
        extra: ['--call-screening', 'on', '--alert-debounce', '0'],
      });
    });

    /** Rings the owner, plays the whisper, answers it with `digits`, then reports `completed`. */
    async function ringScreenAndComplete(digits: string) {
      const caller = nextCaller();
      const c = call(caller, NUMBER);
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const whisperUrl = /<Number url="([^"]+)"/.exec(voice.body)?.[1];
      expect(whisperUrl, voice.body).toBeDefined();
      const ownerLeg = { ...c, callSid: newSid('CA'), from: NUMBER, to: OWNER };
      const whisper = await e.webhooks.post(
        e.webhooks.relativeTo(whisperUrl!),
        voiceCallParams(ownerLeg),
      );
      expect(whisper.body).toMatch(/<Say[^>]*>Leadline call for Screened Plumbing\. Press 1/);
      const resultUrl = /<Gather[^>]*action="([^"]+)"/.exec(whisper.body)![1]!;
      const result = await e.webhooks.post(
        e.webhooks.relativeTo(resultUrl),
        gatherParams(ownerLeg, digits),
      );
      const dialAction = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      await e.webhooks.post(
        e.webhooks.relativeTo(dialAction),
        dialActionParams(c, 'completed', 25),
      );
      await settle();
      return { caller, result };
    }

    it('the owner pressing 1 takes the call: no text', async () => {
      const { caller, result } = await ringScreenAndComplete('1');
      expect(result.body).not.toContain('<Hangup');
      expect(e.twilio.to(caller)).toHaveLength(0);
    });

    it("no key press (the owner's voicemail) is not answered: the caller is texted and the owner told why", async () => {
      const { caller, result } = await ringScreenAndComplete('');
      expect(result.body).toContain('<Hangup/>');
      expect(e.twilio.to(caller)).toHaveLength(1);
      expect(
        e.twilio
          .to(OWNER)
          .filter((m) => m.body.includes(`-${caller.slice(-4)}`))
          .map((m) => m.body),
      ).toEqual([expect.stringContaining('nobody pressed 1 to take it')]);
    });
  });

  describe('review flow: owner asks after a job; good reply gets the link, bad one an apology and an URGENT alert', () => {
    const NUMBER = '+14165551400';
    const OWNER = '+14165551499';
    const LINK = 'https://g.page/r/review-me-plumbing/review';

    beforeAll(async () => {
      await e.addTenant({
        name: 'Review Me Plumbing',
        number: NUMBER,
        owner: OWNER,
        // Texts allowed round the clock, so the suite passes at any hour (quiet hours have their own tests).
        // The qualifying assistant is off: these are the rules of acknowledgements and alerts
        // (test/e2e/qualification.test.ts has the assistant).
        extra: [
          '--qualifying-questions',
          '0',

          '--review-link',
          LINK,
          '--alert-debounce',
          '0',
          '--quiet-hours-allowed',
          '00:00-24:00',
        ],
      });
    });

    /**
     * The owner records the job, which gives implied consent (CASL s.10(10)(a), 2 years). A
     * review asked for a moment later waits for the consent ledger to take it in (tested
     * below).
     */
    async function jobDone(customer: string) {
      const grant = await runCli(
        [
          'consent',
          'grant',
          '--tenant',
          NUMBER,
          '--phone',
          customer,
          '--basis',
          'implied-business-relationship',
          '--source',
          'owner',
          '--evidence',
          `invoice=INV-${customer.slice(-4)}`,
        ],
        e.env,
      );
      expect(grant.code, grant.stderr).toBe(0);
    }

    const requestByApi = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${e.service.baseUrl}/api/v1/review-requests`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${OPERATOR_KEY}`,
          'content-type': 'application/json',
          ...headers,
        },
        body: JSON.stringify(body),
      });

    it('by API: one request text (idempotent on Idempotency-Key); a YES gets the review link', async () => {
      const customer = nextCaller();
      await jobDone(customer);
      for (let i = 0; i < 2; i++) {
        const res = await requestByApi(
          { tenant: NUMBER, phone: customer, note: 'replaced the water heater' },
          { 'idempotency-key': `job-${customer}` },
        );
        expect(res.status).toBe(202);
      }
      await settle();
      expect(e.twilio.to(customer).map((m) => m.body)).toEqual([
        expect.stringContaining('How did we do?'),
      ]);
      await sms(customer, NUMBER, 'YES');
      await settle();
      expect(e.twilio.to(customer).map((m) => m.body)[1]).toContain(LINK);
      expect(
        e.twilio.to(OWNER).filter((m) => m.body.includes(`-${customer.slice(-4)}`)),
      ).toHaveLength(0);
    });

    it('by CLI: a bad reply gets an apology (no link) and the owner an URGENT alert', async () => {
      const customer = nextCaller();
      await jobDone(customer);
      const cli = await runCli(
        ['reviews', 'request', '--tenant', NUMBER, '--phone', customer],
        e.env,
      );
      expect(cli.code, cli.stderr).toBe(0);
      await settle();
      await sms(customer, NUMBER, 'Not happy, the tap is still leaking');
      await settle();
      const texts = e.twilio.to(customer).map((m) => m.body);
      expect(texts).toHaveLength(2);
      expect(texts[1]).toMatch(/sorry we let you down/);
      expect(texts[1]).not.toContain(LINK);
      expect(
        e.twilio
          .to(OWNER)
          .filter((m) => m.body.includes(`-${customer.slice(-4)}`))
          .map((m) => m.body),
      ).toEqual([expect.stringMatching(/^URGENT: .* is unhappy/)]);
    });

    it('a review asked for before the consent ledger has the job waits for it, then goes once', async () => {
      const customer = nextCaller();
      // Hold the ledger projection back: its first write to the chain heads waits on this lock
      // (taken before it writes anything, so the log's other readers go on).
      const hold = await e.db.connect();
      let review: { status: string; postponed: boolean } | undefined;
      try {
        await hold.query('BEGIN');
        await hold.query('LOCK TABLE consent_chain_heads IN EXCLUSIVE MODE');
        const grant = await runCli(
          ['consent', 'grant', '--tenant', NUMBER, '--phone', customer]
            .concat(['--basis', 'implied-business-relationship', '--source', 'owner'])
            .concat(['--evidence', `invoice=INV-${customer.slice(-4)}`]),
          e.env,
        );
        expect(grant.code, grant.stderr).toBe(0);
        const asked = await runCli(
          ['reviews', 'request', '--tenant', NUMBER, '--phone', customer],
          e.env,
        );
        expect(asked.code, asked.stderr).toBe(0);
        // Until the sender has looked at the request: put back to wait, or withheld.
        const deadline = Date.now() + 20_000;
        while (!review || (review.status !== 'withheld' && !review.postponed)) {
          if (Date.now() > deadline)
            throw new Error(`review request not looked at: ${review?.status}`);
          await sleep(100);
          const { rows } = await e.db.query<{ status: string; postponed: boolean }>(
            `SELECT status, next_attempt_at > created_at AS postponed FROM outbound_messages
              WHERE lead_phone = $1 AND purpose = 'review-request'`,
            [customer],
          );
          review = rows[0];
        }
        expect(['pending', 'sending']).toContain(review.status); // waiting, or looked at again
        expect(e.twilio.to(customer)).toEqual([]);
      } finally {
        await hold.query('COMMIT');
        hold.release();
      }
      await settle();
      expect(e.twilio.to(customer).map((m) => m.body)).toEqual([
        expect.stringContaining('How did we do?'),
      ]);
      const stream = await e.readStream(leadStreamId(tenantIdOf(NUMBER), customer));
      expect(stream.filter((ev) => ev.type === 'OutboundSmsWithheld')).toEqual([]);
    });

    it('a YES with no review request pending is not a review: no link', async () => {
      const customer = nextCaller();
      await sms(customer, NUMBER, 'YES');
      await settle();
      expect(e.twilio.to(customer).map((m) => m.body)).toEqual([
        expect.stringMatching(/got your message/),
      ]);
    });

    it('refuses a bad request with a 4xx and a reason', async () => {
      const badPhone = await requestByApi({ tenant: NUMBER, phone: '12' });
      expect(badPhone.status).toBe(400);
      expect(await badPhone.json()).toMatchObject({ error: { code: 'INVALID_PHONE_NUMBER' } });
      const noTenant = await requestByApi({ tenant: '+14165559998', phone: nextCaller() });
      expect(noTenant.status).toBe(404);
      const noKey = await fetch(`${e.service.baseUrl}/api/v1/review-requests`, { method: 'POST' });
      expect(noKey.status).toBe(401);
    });
  });

  describe("quiet hours: solicitations wait for daytime in the customer's zone; replies never do", () => {
    const NUMBER = '+14165551500';
    const OWNER = '+14165551599';
    // The customer (647: Toronto) is outside the window: it opens two hours from now.
    const window = torontoWindowLater();

    beforeAll(async () => {
      await e.addTenant({
        name: 'Quiet Hours Plumbing',
        number: NUMBER,
        owner: OWNER,
        extra: ['--quiet-hours-allowed', window, '--alert-debounce', '0'],
      });
    });

    it('a missed-call text goes at once at night; a review request then waits for the window (recorded so)', async () => {
      const customer = nextCaller();
      // The customer calls and is missed: the answer to their call is a reply, never deferred.
      const c = call(customer, NUMBER);
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      await e.webhooks.post(e.webhooks.relativeTo(action), dialActionParams(c, 'no-answer'));
      await settle();
      expect(e.twilio.to(customer).map((m) => m.body)).toEqual([
        expect.stringContaining('Sorry we missed your call'),
      ]);
      expect(
        e.twilio.to(OWNER).filter((m) => m.body.includes(`-${customer.slice(-4)}`)),
      ).toHaveLength(1);

      // The call gave implied consent; the review request is a solicitation: it waits.
      const cli = await runCli(
        ['reviews', 'request', '--tenant', NUMBER, '--phone', customer],
        e.env,
      );
      expect(cli.code, cli.stderr).toBe(0);
      await settle();
      expect(e.twilio.to(customer)).toHaveLength(1);
      const stream = leadStreamId(tenantIdOf(NUMBER), customer);
      const deferred = (await e.readStream(stream)).find((ev) => ev.type === 'OutboundSmsDeferred');
      expect(deferred?.data).toMatchObject({
        purpose: 'review-request',
        reason: 'quiet-hours',
        timezones: ['America/Toronto'],
      });
      // It waits for the first minute of the window in Toronto: the window's start, on the
      // hour, still ahead and within the two hours the window was set to open in (the window
      // was set when this suite started, which may be an hour boundary ago).
      const until = new Date((deferred!.data as { until: string }).until);
      const torontoTime = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/Toronto',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(until);
      expect(torontoTime).toBe(window.slice(0, 5));
      expect(until.getTime()).toBeGreaterThan(Date.now());
      expect(until.getTime()).toBeLessThanOrEqual(Date.now() + 2 * 60 * 60_000);

      // When it falls due inside the window, it goes.
      const update = await runCli(
        ['tenants', 'update', NUMBER, '--quiet-hours-allowed', '00:00-24:00'],
        e.env,
      );
      expect(update.code, update.stderr).toBe(0);
      await e.db.query(
        `UPDATE outbound_messages SET next_attempt_at = now()
          WHERE lead_phone = $1 AND purpose = 'review-request'`,
        [customer],
      );
      await waitFor(() => e.twilio.to(customer).length === 2, 10_000);
      expect(e.twilio.to(customer)[1]!.body).toContain('How did we do?');
    });
  });

  describe('outbound failures: the owner is told once; late opt-out confirmations are not sent', () => {
    const NUMBER = '+14165551600';
    const OWNER = '+14165551699';

    beforeAll(async () => {
      await e.addTenant({
        name: 'Failing Line Plumbing',
        number: NUMBER,
        owner: OWNER,
        // The qualifying assistant is off: these are the rules of acknowledgements and alerts
        // (test/e2e/qualification.test.ts has the assistant).
        extra: ['--qualifying-questions', '0', '--alert-debounce', '0'],
      });
    });
    const failureAlerts = (customer: string) =>
      e.twilio
        .to(OWNER)
        .filter(
          (m) => m.body.includes(`-${customer.slice(-4)}`) && m.body.includes('could not text'),
        );

    it('transient errors are retried up to the limit, then recorded; the owner is told once', async () => {
      const customer = nextCaller();
      e.twilio.failNextTo(customer, 3);
      await sms(customer, NUMBER, 'Do you install sump pumps?');
      await waitFor(() => failureAlerts(customer).length > 0, 20_000);
      await settle();
      const events = await e.readStream(leadStreamId(tenantIdOf(NUMBER), customer));
      expect(events.filter((ev) => ev.type === 'OutboundSmsFailed').map((ev) => ev.data)).toEqual([
        expect.objectContaining({ purpose: 'acknowledgement', attempts: 3, errorCode: '20500' }),
      ]);
      expect(failureAlerts(customer).map((m) => m.body)).toEqual([
        expect.stringContaining('(Twilio error 20500) after 3 tries'),
      ]);
      expect(e.twilio.to(customer)).toHaveLength(0);
    });

    it('a number Twilio refuses for good: one alert, however many texts fail', async () => {
      const customer = nextCaller();
      e.twilio.refuseRecipient(customer, 21211, `The 'To' number ${customer} is not valid.`);
      const c = call(customer, NUMBER);
      const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
      const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
      await e.webhooks.post(e.webhooks.relativeTo(action), dialActionParams(c, 'busy'));
      await settle();
      await sms(customer, NUMBER, 'Hello? I called earlier');
      await settle();
      expect(failureAlerts(customer).map((m) => m.body)).toEqual([
        expect.stringContaining('(Twilio error 21211)'),
      ]);
    });

    it('an opt-out confirmation that could not go within 5 minutes is withheld, not sent late', async () => {
      const customer = nextCaller();
      // The worker was down when the STOP arrived, 6 minutes ago, and comes back now.
      await e.service.kill('SIGKILL');
      const tenant = await tenantDirectory.findByNumber(e.db, NUMBER);
      await receiveSms(
        tenant!,
        {
          messageSid: newSid('SM'),
          from: customer as E164,
          to: NUMBER as E164,
          body: 'STOP',
          media: [],
          optOutType: null,
        },
        {
          log: await e.eventLog(),
          db: e.db,
          clock: fixedClock(new Date(Date.now() - 6 * 60_000).toISOString()),
        },
      );
      await e.service.start();
      await settle();
      expect(e.twilio.to(customer)).toEqual([]);
      const events = await e.readStream(leadStreamId(tenantIdOf(NUMBER), customer));
      expect(events.filter((ev) => ev.type === 'OutboundSmsWithheld').map((ev) => ev.data)).toEqual(
        [expect.objectContaining({ purpose: 'opt-out-confirmation', reason: 'expired' })],
      );
    });
  });

  describe('repeat callers', () => {
    const NUMBER = '+14165551700';
    const OWNER = '+14165551799';

    beforeAll(async () => {
      await e.addTenant({ name: 'Busy Line Plumbing', number: NUMBER, owner: OWNER });
    });

    it('three missed calls in ten minutes are one lead and one text (naming the business, with the rates notice); the owner hears of each', async () => {
      const caller = nextCaller();
      for (let i = 0; i < 3; i++) {
        const c = call(caller, NUMBER);
        const voice = await e.webhooks.post('/twilio/voice', voiceCallParams(c));
        const action = /<Dial[^>]*action="([^"]+)"/.exec(voice.body)![1]!;
        await e.webhooks.post(e.webhooks.relativeTo(action), dialActionParams(c, 'no-answer'));
        await settle();
      }
      expect(e.twilio.to(caller).map((m) => m.body)).toEqual([
        expect.stringMatching(
          /^Hi, this is Busy Line Plumbing\..*Msg & data rates may apply\. Reply STOP to opt out\.$/,
        ),
      ]);
      const alerts = e.twilio.to(OWNER).filter((m) => m.body.includes(`-${caller.slice(-4)}`));
      expect(alerts).toHaveLength(3);
      expect(alerts[2]!.body).toMatch(/called again; we already texted them/);
    });
  });
});
