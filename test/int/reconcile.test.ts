import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { reconcileAttempt, type UncertainAttempt } from '../../src/outbound/reconcile.ts';
import { SmsSendError, type SmsTransport } from '../../src/outbound/sms-transport.ts';
import { createTwilioTransport } from '../../src/outbound/twilio-transport.ts';
import { createTestDatabase } from '../support/database.ts';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/e2e-env.ts';
import { FakeTwilio } from '../../harness/fake-twilio.ts';

const OWNER = '+14165550139';
const NUMBER = '+14165550130';
const ALERT = 'STANDARD: missed call from …0142';
const MINUTE = 60_000;

describe("reconciling an uncertain attempt against Twilio's paged history", () => {
  let twilio: FakeTwilio;
  let transport: SmsTransport;
  let pool: pg.Pool;

  beforeAll(async () => {
    twilio = await new FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start();
    transport = createTwilioTransport({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiUrl: twilio.url,
    });
    pool = new pg.Pool(clientConfig(await createTestDatabase()));
  });
  afterEach(async () => {
    twilio.messages.length = 0;
    twilio.requests.length = 0;
    await pool.query('DELETE FROM outbound_messages');
  });
  afterAll(async () => {
    await twilio.stop();
    await pool.end();
  });

  /** A text Twilio accepted from NUMBER to OWNER, `agoMs` before now. */
  const accepted = (body: string, agoMs = 0) => {
    const [m] = twilio.seedSent(OWNER, NUMBER, 1);
    m!.body = body;
    m!.dateCreated = new Date(Date.now() - agoMs);
    return m!;
  };
  const query = (sinceAgoMs: number, deadline = new Date(Date.now() + MINUTE)) => ({
    to: OWNER,
    from: NUMBER,
    body: ALERT,
    since: new Date(Date.now() - sinceAgoMs),
    deadline,
  });
  const listRequests = () => twilio.requests.filter((r) => r.method === 'GET');

  it('finds the text behind more than a page of newer ones, and reads no further back than asked', async () => {
    twilio.seedSent(OWNER, NUMBER, 120).forEach((m) => (m.dateCreated = new Date(0)));
    accepted(ALERT, 2 * 60 * MINUTE); // the same text, long before the window
    const original = accepted(ALERT);
    twilio.seedSent(OWNER, NUMBER, 60);

    const found = await transport.findSent(query(10 * MINUTE));

    expect(found.map((m) => m.messageSid)).toEqual([original.sid]);
    // Page 1: 50 newer texts; page 2: 10 more, the original, then older ones: it stops there.
    expect(listRequests().map((r) => [r.params.PageSize, r.params.PageToken ?? null])).toEqual([
      ['50', null],
      ['50', expect.stringMatching(/^PA/)],
    ]);
  });

  it('gives up with an uncertain error, not a verdict, once the deadline has passed', async () => {
    accepted(ALERT);
    twilio.seedSent(OWNER, NUMBER, 60);
    const failure = await transport
      .findSent(query(MINUTE, new Date(Date.now() - 1)))
      .catch((e) => e);
    expect(failure).toBeInstanceOf(SmsSendError);
    expect(failure).toMatchObject({ permanent: false, uncertain: true });
  });

  it("the fake refuses a list parameter Twilio's description does not have, and a PageSize above 1000", async () => {
    const list = (query: string) =>
      fetch(`${twilio.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?${query}`, {
        headers: {
          authorization: 'Basic ' + Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64'),
        },
      });
    expect((await list('To=%2B14165550139&DateCreated%3E=2026-01-01')).status).toBe(400);
    expect((await list('PageSize=1001')).status).toBe(400);
    expect((await list('PageSize=1000&Page=0')).status).toBe(200);
  });

  describe('two identical texts to one number in the window', () => {
    let seq = 0;
    /** An outbox row for the alert, as a claimed row looks; `messageSid` when recorded. */
    async function outboxRow(messageSid: string | null): Promise<UncertainAttempt> {
      const attempt = {
        outboxId: randomUUID(),
        leaseToken: randomUUID(),
        to: OWNER,
        from: NUMBER,
        body: ALERT,
        createdAt: new Date(Date.now() - 5 * MINUTE),
        deferredUntil: null,
      };
      await pool.query(
        `INSERT INTO outbound_messages (outbox_id, dedupe_key, tenant_id, stream_id, lead_phone,
           audience, purpose, to_number, from_number, body, cause_event_id, status, lease_token,
           message_sid, created_at)
         VALUES ($1, $2, 't', 's', '+19055550142', 'owner', 'owner-alert', $3, $4, $5, $6,
           'sending', $7, $8, $9)`,
        [
          attempt.outboxId,
          `call-${++seq}:owner-alert`,
          OWNER,
          NUMBER,
          ALERT,
          randomUUID(),
          attempt.leaseToken,
          messageSid,
          attempt.createdAt,
        ],
      );
      return attempt;
    }
    const deps = () => ({ pool, transport, leaseMs: 30_000 });
    const recordedSid = async (a: UncertainAttempt) =>
      (
        await pool.query('SELECT message_sid FROM outbound_messages WHERE outbox_id = $1', [
          a.outboxId,
        ])
      ).rows[0]?.message_sid;

    it('one row never takes the message the other recorded as its own', async () => {
      const first = accepted(ALERT, 2 * MINUTE);
      const second = accepted(ALERT, MINUTE);
      await outboxRow(first.sid);
      const uncertain = await outboxRow(null);

      expect(await reconcileAttempt(deps(), uncertain)).toMatchObject({ messageSid: second.sid });
      expect(await recordedSid(uncertain)).toBe(second.sid);
    });

    it('finds nothing when every match is already another row’s: sending is safe', async () => {
      const only = accepted(ALERT, MINUTE);
      await outboxRow(only.sid);
      const uncertain = await outboxRow(null);

      expect(await reconcileAttempt(deps(), uncertain)).toBeUndefined();
      expect(await recordedSid(uncertain)).toBeNull();
    });

    it('two rows reconciling at once each take a different message', async () => {
      const texts = [accepted(ALERT, 2 * MINUTE), accepted(ALERT, MINUTE)];
      const rows = [await outboxRow(null), await outboxRow(null)];

      const found = await Promise.all(rows.map((r) => reconcileAttempt(deps(), r)));

      expect(found.map((f) => f?.messageSid).sort()).toEqual(texts.map((t) => t.sid).sort());
    });
  });
});
