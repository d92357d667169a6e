import type pg from 'pg';
import { withTransaction } from '../db/transaction.ts';
import type { AcceptedSms, SmsTransport } from './sms-transport.ts';

/**
 * Slack on both sides of the look-up window (ms): Twilio's clock against PostgreSQL's (which
 * stamps `created_at`), and Twilio's dates, which are whole seconds.
 */
export const RECONCILE_CLOCK_MARGIN_MS = 60_000;

/** An outbox row whose earlier attempt may or may not have reached Twilio. */
export interface UncertainAttempt {
  outboxId: string;
  /** The current claim's token: the found message is recorded only while it holds. */
  leaseToken: string;
  /** E.164 recipient and sender, and the exact body, as every attempt sent them. */
  to: string;
  from: string;
  body: string;
  /** When the row was queued (UTC): no attempt precedes it. */
  createdAt: Date;
  /** Quiet hours held the row until this instant (UTC), or null: no attempt precedes it either. */
  deferredUntil: Date | null;
}

/** What {@link reconcileAttempt} uses. */
export interface ReconcileDeps {
  pool: pg.Pool;
  transport: SmsTransport;
  /**
   * The claim's lease (ms). The look-up starts no page request after a quarter of it; with the
   * last request's timeout (a third) and the send's (a third), all ends inside the claim.
   */
  leaseMs: number;
}

/**
 * Asks Twilio whether an uncertain attempt (its claimer vanished mid-send, or the request
 * timed out, was reset or got a 5xx) went out, and if so records that message as the row's.
 *
 * Window: from the row's first possible attempt (its creation, or the end of a quiet-hours
 * deferral) minus {@link RECONCILE_CLOCK_MARGIN_MS}, to now; Twilio's history is read back that
 * far, however many pages it takes (`SmsTransport.findSent`). Of the messages there with the
 * same `To`, `From` and body, one that another outbox row already recorded
 * (`outbound_messages.message_sid`) is that row's, never this one's: with two identical texts
 * to one number in the window, each row finds its own. The oldest remaining one is taken and
 * stored in `message_sid` in one transaction holding an advisory lock on (`To`, `From`), so two
 * rows reconciling at once cannot take the same message.
 *
 * Limit: a row with the same text whose first send is in flight at this moment records its
 * message without that lock; if this row's attempt never reached Twilio, both rows may then
 * name that one message (one text for two rows: none is sent twice).
 *
 * @returns the message this attempt left, or undefined when Twilio holds none that is not
 *   another row's: sending now is safe.
 * @throws SmsSendError (`uncertain`) when Twilio's history could not be read: retry later,
 *   reconciling again.
 * @throws Error when the row's claim was lost meanwhile (another sender recovered it).
 */
export async function reconcileAttempt(
  deps: ReconcileDeps,
  attempt: UncertainAttempt,
): Promise<AcceptedSms | undefined> {
  const firstPossible = Math.max(
    attempt.createdAt.getTime(),
    attempt.deferredUntil?.getTime() ?? 0,
  );
  const candidates = await deps.transport.findSent({
    to: attempt.to,
    from: attempt.from,
    body: attempt.body,
    since: new Date(firstPossible - RECONCILE_CLOCK_MARGIN_MS),
    // Compared with the wall clock by the transport, like its request timeouts.
    deadline: new Date(Date.now() + Math.floor(deps.leaseMs / 4)),
  });
  if (candidates.length === 0) return undefined;

  return withTransaction(deps.pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `leadline-reconcile:${attempt.to}:${attempt.from}`,
    ]);
    const { rows } = await client.query<{ message_sid: string }>(
      `SELECT message_sid FROM outbound_messages
        WHERE message_sid = ANY($1::text[]) AND outbox_id <> $2`,
      [candidates.map((c) => c.messageSid), attempt.outboxId],
    );
    const othersOwn = new Set(rows.map((r) => r.message_sid));
    const mine = candidates.find((c) => !othersOwn.has(c.messageSid));
    if (mine) {
      const recorded = await client.query(
        'UPDATE outbound_messages SET message_sid = $2 WHERE outbox_id = $1 AND lease_token = $3',
        [attempt.outboxId, mine.messageSid, attempt.leaseToken],
      );
      if (recorded.rowCount !== 1) throw new Error('the claim on this outbox row was lost');
    }
    return mine && { messageSid: mine.messageSid, status: mine.status };
  });
}
