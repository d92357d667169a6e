import type { ConsumerContext } from '../log/event-log.ts';
import type { IntentCause } from './outbox.ts';
import type { Write } from '../db/combined-writes.ts';

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
 * The write that inserts call-backs into `outbound_calls`, for a processor to run inside its
 * transaction (so they commit with its checkpoint) combined with its other writes
 * (`runWrites`): idempotent on `callbackId`; the call placer is notified (`CALLS_CHANNEL`) at
 * commit when a row is inserted. Undefined when there is nothing to queue, and in replay mode
 * (the refusal logged at debug): a rebuild must never ring anyone (design §4).
 */
export function callsWrite(
  ctx: ConsumerContext,
  caused: ReadonlyArray<{ cause: IntentCause; calls: readonly CallIntent[] }>,
): Write | undefined {
  const rows = caused.flatMap(({ cause, calls }) => calls.map((call) => ({ cause, call })));
  if (rows.length === 0) return undefined;
  if (ctx.replay) {
    ctx.log.debug({ refused: rows.length }, 'replay mode: call-backs not queued');
    return undefined;
  }
  const column = <T>(value: (row: (typeof rows)[number]) => T): T[] => rows.map(value);
  return {
    insert: `INSERT INTO outbound_calls (callback_id, tenant_id, stream_id, lead_phone, staff_phone,
       from_number, cause_event_id, traceparent)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
       $7::uuid[], $8::text[])
     ON CONFLICT (callback_id) DO NOTHING`,
    values: [
      column((r) => r.call.callbackId),
      column((r) => r.cause.tenantId),
      column((r) => r.cause.streamId),
      column((r) => r.call.leadPhone),
      column((r) => r.call.staffPhone),
      column((r) => r.call.from),
      column((r) => r.cause.eventId),
      column((r) => r.cause.traceparent),
    ],
    channel: CALLS_CHANNEL,
  };
}
