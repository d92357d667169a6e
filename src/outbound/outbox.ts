import type { ConsumerContext } from '../log/event-log.ts';
import { DEFERRABLE_PURPOSES } from '../rules/quiet-hours.ts';
import { deterministicId } from '../shared/ids.ts';
import { activeTraceparent } from '../telemetry/trace-context.ts';
import type { OutboundIntent } from './intent.ts';

/** The channel the outbox NOTIFYs when rows become due; the sender listens on it. */
export const OUTBOX_CHANNEL = 'leadline_outbox';

/** Where an intent came from: the lead's stream and the event that caused it. */
export interface IntentCause {
  tenantId: string;
  streamId: string;
  leadPhone: string;
  eventId: string;
  correlationId: string | null;
  traceparent: string | null;
  /** When the cause happened (UTC ISO-8601): deadlines (`sendWithinMs`) count from it. */
  occurredAt: string;
}

/**
 * Inserts intents into `outbound_messages` inside the consumer's transaction (so they commit
 * with its checkpoint), marking solicitations to customers as subject to quiet hours
 * (`rules/quiet-hours.ts`). Idempotent on `dedupeKey`. In replay mode nothing is enqueued: a
 * rebuild or replay must never send (design §4).
 *
 * @returns how many rows were inserted (0 for duplicates and in replay mode).
 */
export async function enqueueIntents(
  ctx: ConsumerContext,
  cause: IntentCause,
  intents: OutboundIntent[],
): Promise<number> {
  if (intents.length === 0) return 0;
  if (ctx.replay) {
    ctx.log.debug({ refused: intents.length }, 'replay mode: outbox refused to enqueue');
    return 0;
  }
  let inserted = 0;
  for (const intent of intents) {
    const result = await ctx.db.query(
      `INSERT INTO outbound_messages (outbox_id, dedupe_key, tenant_id, stream_id, lead_phone,
         audience, purpose, consent_exempt, to_number, from_number, body, cause_event_id,
         correlation_id, traceparent, respects_quiet_hours, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [
        deterministicId('outbox', intent.dedupeKey),
        intent.dedupeKey,
        cause.tenantId,
        cause.streamId,
        cause.leadPhone,
        intent.audience,
        intent.purpose,
        intent.consentExempt,
        intent.to,
        intent.from,
        intent.body,
        cause.eventId,
        cause.correlationId,
        // The span that enqueues (a traced processor's), else the cause's own context.
        activeTraceparent() ?? cause.traceparent,
        intent.audience === 'lead' && DEFERRABLE_PURPOSES.has(intent.purpose),
        intent.sendWithinMs === undefined
          ? null
          : new Date(Date.parse(cause.occurredAt) + intent.sendWithinMs).toISOString(),
      ],
    );
    inserted += result.rowCount ?? 0;
  }
  if (inserted > 0) await ctx.db.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  return inserted;
}
