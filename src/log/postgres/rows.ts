import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { upcast } from '../../events/upcasters.ts';

/** Columns selected whenever events are read back. */
export const EVENT_COLUMNS = `position, epoch, transaction_id, event_id, stream_id, type, schema_version,
  tenant_id, occurred_at, recorded_at, causation_id, correlation_id, traceparent, data`;

/** A row of the `events` table as node-postgres returns it. */
export interface EventRow {
  position: string;
  epoch: number;
  transaction_id: string;
  event_id: string;
  stream_id: string;
  type: string;
  schema_version: number;
  tenant_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  causation_id: string | null;
  correlation_id: string | null;
  traceparent: string | null;
  data: unknown;
}

/**
 * Turns a row back into the event envelope exactly as it was appended, at its stored schema
 * version (backups keep events as written).
 */
export function storedRowToEvent(row: EventRow): RecordedLeadlineEvent {
  return {
    id: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    streamId: row.stream_id,
    tenantId: row.tenant_id,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    causationId: row.causation_id,
    correlationId: row.correlation_id,
    traceparent: row.traceparent,
    data: row.data,
    position: row.position,
  } as RecordedLeadlineEvent;
}

/**
 * Turns a row back into the event envelope it was appended as, brought to the current schema
 * version of its type (`events/upcasters.ts`): every reader of the PostgreSQL log (`read`,
 * subscriptions, `follow`) goes through here, so none sees an old version.
 * @throws UnknownSchemaVersionError for a version or type this code cannot read.
 */
export function rowToEvent(row: EventRow): RecordedLeadlineEvent {
  return upcast(storedRowToEvent(row));
}

/** Column arrays for the `unnest` bulk insert, in the order of the INSERT's column list. */
export function eventsToColumns(events: LeadlineEvent[]): unknown[] {
  return [
    events.map((e) => e.id),
    events.map((e) => e.streamId),
    events.map((e) => e.type),
    events.map((e) => e.schemaVersion),
    events.map((e) => e.tenantId),
    events.map((e) => e.occurredAt),
    events.map((e) => e.recordedAt),
    events.map((e) => e.causationId),
    events.map((e) => e.correlationId),
    events.map((e) => e.traceparent),
    events.map((e) => JSON.stringify(e.data)),
  ];
}
