/**
 * The envelope every event travels in, the same on every log (design §2).
 *
 * - `id`: UUID; derived deterministically from the external id (e.g. `CallSid` + type), so a
 *   retried webhook yields the same id and the log's idempotent append drops the copy.
 * - `streamId`: `lead:<tenantId>:<E.164>`, `tenant:<tenantId>` or `webhooks:rejected`.
 * - `occurredAt` / `recordedAt`: UTC ISO-8601; `occurredAt` from Twilio's data where it has it.
 * - `causationId`: id of the event that caused this one; `correlationId`: the CallSid / MessageSid thread.
 * - `traceparent`: W3C trace context of the request that produced the event.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  id: string;
  type: TType;
  schemaVersion: number;
  streamId: string;
  tenantId: string | null;
  occurredAt: string;
  recordedAt: string;
  causationId: string | null;
  correlationId: string | null;
  traceparent: string | null;
  data: TData;
}

/**
 * An event as read back from a log: the envelope plus where it sits.
 * `position` is opaque and adapter-specific (PostgreSQL: the global sequence number;
 * Kafka: `topic/partition/offset`), meant for display and evidence, not arithmetic.
 */
export interface RecordedEvent<
  TType extends string = string,
  TData = unknown,
> extends EventEnvelope<TType, TData> {
  position: string;
}
