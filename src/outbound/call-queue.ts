import type { ConsumerContext } from '../log/event-log.ts';
import type { IntentCause } from './outbox.ts';
import { insertNotifying } from '../db/insert-notifying.ts';

/** The channel `outbound_calls` NOTIFYs when a call-back is queued; the call placer listens. */
export const CALLS_CHANNEL = 'leadline_calls';

/**
 * A processor's decision to place one call-back: ring `staffPhone` (E.164) from the business
 * number `from`, then, once they press 1, dial `leadPhone` with the business number as caller
 * ID (the call placer builds the TwiML).
 */
export interface CallIntent {
  /** Names the call-back (from `CallBackRequested`); the row's key, so it is placed once. */
  callbackId: string;
  staffPhone: string;
  leadPhone: string;
  from: string;
}

/**
 * Inserts call-backs into `outbound_calls` inside the consumer's transaction (so they commit
 * with its checkpoint), idempotent on `callbackId`. In replay mode nothing is queued: a
 * rebuild must never ring anyone (design §4).
 * @returns how many rows were inserted.
 */
export async function enqueueCalls(
  ctx: ConsumerContext,
  caused: ReadonlyArray<{ cause: IntentCause; calls: readonly CallIntent[] }>,
): Promise<number> {
  const rows = caused.flatMap(({ cause, calls }) => calls.map((call) => ({ cause, call })));
  if (rows.length === 0) return 0;
  if (ctx.replay) {
    ctx.log.debug({ refused: rows.length }, 'replay mode: call-backs not queued');
    return 0;
  }
  const column = <T>(value: (row: (typeof rows)[number]) => T): T[] => rows.map(value);
  // Notified in the same statement (delivered at commit): one round trip.
  return insertNotifying(
    ctx.db,
    `INSERT INTO outbound_calls (callback_id, tenant_id, stream_id, lead_phone, staff_phone,
       from_number, cause_event_id, traceparent)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
       $7::uuid[], $8::text[])
     ON CONFLICT (callback_id) DO NOTHING`,
    [
      column((r) => r.call.callbackId),
      column((r) => r.cause.tenantId),
      column((r) => r.cause.streamId),
      column((r) => r.call.leadPhone),
      column((r) => r.call.staffPhone),
      column((r) => r.call.from),
      column((r) => r.cause.eventId),
      column((r) => r.cause.traceparent),
    ],
    CALLS_CHANNEL,
  );
}
