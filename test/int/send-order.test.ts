import { describe, expect, it } from 'vitest';
import { enqueueCausedIntents, type IntentCause } from '../../src/outbound/outbox.ts';
import type { OutboundIntent } from '../../src/outbound/intent.ts';
import { OutboundSender } from '../../src/outbound/sender.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { useTestLogDatabase } from '../support/database.ts';

const TENANT = 't-send-order';
const NUMBER = '+14165550100';
const OWNER = '+14165550199';

const cause = (n: number, phone: string): IntentCause => ({
  tenantId: TENANT,
  streamId: `lead:${TENANT}:${phone}`,
  leadPhone: phone,
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  correlationId: null,
  traceparent: null,
  occurredAt: new Date().toISOString(),
});

const alert = (n: number, phone: string): OutboundIntent => ({
  dedupeKey: `alert-${n}`,
  audience: 'owner',
  purpose: 'owner-alert',
  to: OWNER,
  from: NUMBER,
  body: `New lead ${phone}`,
  consentExempt: true,
});

/**
 * `rules/send-order.ts`: a caller's first answer after a missed call goes before any text
 * that waited longer. A burst of owner alerts queued first must not hold it back.
 */
describe('the sender’s order', () => {
  const db = useTestLogDatabase();

  it('takes a missed-call text before owner alerts queued earlier, then the alerts oldest first', async () => {
    const { url, pool, log } = db;
    const client = await pool.connect();
    try {
      const ctx = { db: client, replay: false, log: silentLogger };
      for (let n = 1; n <= 12; n++) {
        const phone = `+1647555${String(n).padStart(4, '0')}`;
        await enqueueCausedIntents(ctx, [{ cause: cause(n, phone), intents: [alert(n, phone)] }]);
      }
      const caller = '+16475559999';
      await enqueueCausedIntents(ctx, [
        {
          cause: cause(99, caller),
          intents: [
            {
              dedupeKey: 'missed-99',
              audience: 'lead',
              purpose: 'missed-call-text',
              to: caller,
              from: NUMBER,
              body: 'Sorry we missed your call',
              consentExempt: false,
            },
          ],
        },
      ]);
    } finally {
      client.release();
    }
    // Dry-run: each text is withheld as such, one at a time (one in flight), in claim order.
    const sender = new OutboundSender({
      url,
      pool,
      log,
      transport: undefined,
      mode: 'dry-run',
      clock: systemClock,
      logger: silentLogger,
      statusCallbackUrl: 'http://127.0.0.1/twilio/sms/status',
      leaseMs: 30_000,
      pollIntervalMs: 50,
      batchSize: 1,
    });
    await sender.start();
    try {
      const deadline = Date.now() + 10_000;
      let done = 0;
      while (Date.now() < deadline) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int n FROM outbound_messages WHERE status IN ('pending', 'sending')`,
        );
        done = 13 - rows[0]!.n;
        if (done === 13) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(done).toBe(13);
    } finally {
      await sender.stop();
    }
    const withheld = (await log.read(`lead:${TENANT}:+16475559999`)).filter(
      (e) => e.type === 'OutboundSmsWithheld',
    );
    expect(withheld).toHaveLength(1);
    // The order the sender took them in: the log's order of their outcomes.
    const { rows } = await pool.query<{ dedupe: string }>(
      `SELECT o.dedupe_key AS dedupe FROM events e
         JOIN outbound_messages o ON o.outbox_id::text = e.data->>'outboxId'
        WHERE e.type = 'OutboundSmsWithheld' ORDER BY e.position`,
    );
    expect(rows.map((r) => r.dedupe)).toEqual([
      'missed-99',
      ...Array.from({ length: 12 }, (_, i) => `alert-${i + 1}`),
    ]);
  });
});
