import { leadStreamId } from '../events/streams.ts';

/** The envelope fields shared by the events one Twilio webhook records about one lead. */
export interface LeadEnvelope {
  /** The lead's stream (`lead:<tenantId>:<E.164>`, see `leadStreamId`). */
  streamId: string;
  tenantId: string;
  /** What makes a retried webhook record the same events (a `CallSid` or `MessageSid`). */
  idempotencyKey: string;
  /** The Twilio SID the events answer to, for following one call or text through the log. */
  correlationId: string;
  /** W3C `traceparent` of the webhook's trace, or null. */
  traceparent: string | null;
}

/**
 * The {@link LeadEnvelope} of the events Twilio's webhook about `sid` (a `CallSid` or
 * `MessageSid`) records for lead `phone` (E.164) of `tenantId`: the lead's stream, the SID as
 * correlation id and (unless `idempotencyKey` says otherwise, e.g. one per dial leg) as
 * idempotency key, since Twilio retries a webhook with the same SID.
 */
export function leadEnvelope(
  tenantId: string,
  phone: string,
  sid: string,
  traceparent: string | null | undefined,
  idempotencyKey: string = sid,
): LeadEnvelope {
  return {
    streamId: leadStreamId(tenantId, phone),
    tenantId,
    idempotencyKey,
    correlationId: sid,
    traceparent: traceparent ?? null,
  };
}
