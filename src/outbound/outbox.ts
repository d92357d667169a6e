import type { ConsumerContext } from '../log/event-log.ts';
import { DEFERRABLE_PURPOSES } from '../rules/quiet-hours.ts';
import { SEND_FIRST_PURPOSES } from '../rules/send-order.ts';
import { deterministicId } from '../shared/ids.ts';
import { activeTraceparent } from '../telemetry/trace-context.ts';
import type { OutboundIntent } from './intent.ts';
import { runWrites, type Write } from '../db/combined-writes.ts';

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
 * with its checkpoint), each with its cause, in one statement: rows in the order given, the
 * first of a dedupe key kept, as one call per cause in that order would. Solicitations to
 * customers are marked subject to quiet hours (`rules/quiet-hours.ts`). Idempotent on
 * `dedupeKey`. In replay mode nothing is enqueued: a rebuild or replay must never send
 * (design §4).
 * @returns how many rows were inserted (0 for duplicates and in replay mode).
 */
export async function enqueueCausedIntents(
  ctx: ConsumerContext,
  caused: ReadonlyArray<{ cause: IntentCause; intents: readonly OutboundIntent[] }>,
): Promise<number> {
  const [inserted] = await runWrites(ctx.db, [intentsWrite(ctx, caused)]);
  return inserted!;
}

/**
 * The write {@link enqueueCausedIntents} runs, for a caller that combines it with others in one
 * statement (`runWrites`): the sender is notified (`OUTBOX_CHANNEL`) at commit when a row is
 * inserted. Undefined when there is nothing to queue, and in replay mode (the refusal logged at
 * debug).
 */
export function intentsWrite(
  ctx: ConsumerContext,
  caused: ReadonlyArray<{ cause: IntentCause; intents: readonly OutboundIntent[] }>,
): Write | undefined {
  const rows = caused.flatMap(({ cause, intents }) => intents.map((intent) => ({ cause, intent })));
  if (rows.length === 0) return undefined;
  if (ctx.replay) {
    ctx.log.debug({ refused: rows.length }, 'replay mode: outbox refused to enqueue');
    return undefined;
  }
  // The span that enqueues (a traced processor's), else each cause's own context.
  const active = activeTraceparent();
  const column = <T>(value: (row: (typeof rows)[number]) => T): T[] => rows.map(value);
  return {
    insert: `INSERT INTO outbound_messages (outbox_id, dedupe_key, tenant_id, stream_id, lead_phone,
       audience, purpose, consent_exempt, to_number, from_number, body, cause_event_id,
       correlation_id, traceparent, respects_quiet_hours, not_after, send_first)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
       $7::text[], $8::boolean[], $9::text[], $10::text[], $11::text[], $12::uuid[], $13::text[],
       $14::text[], $15::boolean[], $16::timestamptz[], $17::boolean[])
     ON CONFLICT (dedupe_key) DO NOTHING`,
    values: [
      column((r) => deterministicId('outbox', r.intent.dedupeKey)),
      column((r) => r.intent.dedupeKey),
      column((r) => r.cause.tenantId),
      column((r) => r.cause.streamId),
      column((r) => r.cause.leadPhone),
      column((r) => r.intent.audience),
      column((r) => r.intent.purpose),
      column((r) => r.intent.consentExempt),
      column((r) => r.intent.to),
      column((r) => r.intent.from),
      column((r) => r.intent.body),
      column((r) => r.cause.eventId),
      column((r) => r.cause.correlationId),
      column((r) => active ?? r.cause.traceparent),
      column((r) => r.intent.audience === 'lead' && DEFERRABLE_PURPOSES.has(r.intent.purpose)),
      column((r) =>
        r.intent.sendWithinMs === undefined
          ? null
          : new Date(Date.parse(r.cause.occurredAt) + r.intent.sendWithinMs).toISOString(),
      ),
      column((r) => SEND_FIRST_PURPOSES.includes(r.intent.purpose)),
    ],
    channel: OUTBOX_CHANNEL,
  };
}
