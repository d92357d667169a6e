import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { upcast } from '../../events/upcasters.ts';
import type { PgCheckpoint } from './checkpoint.ts';

/** A `timestamptz` column as UTC ISO-8601 with milliseconds, the envelope's own form. */
const isoText = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The envelope's columns, in {@link EventRow}'s order: name and the expression read. */
const ENVELOPE: ReadonlyArray<readonly [name: string, expression: string]> = [
  ['position', 'position'],
  ['epoch', 'epoch'],
  ['transaction_id', 'transaction_id'],
  ['event_id', 'event_id'],
  ['stream_id', 'stream_id'],
  ['type', 'type'],
  ['schema_version', 'schema_version'],
  ['tenant_id', 'tenant_id'],
  ['occurred_at', isoText('occurred_at')],
  ['recorded_at', isoText('recorded_at')],
  ['causation_id', 'causation_id'],
  ['correlation_id', 'correlation_id'],
  ['traceparent', 'traceparent'],
];

/** The columns every read needs of every row: its place in the log and its type. */
const ALWAYS_READ = new Set(['position', 'epoch', 'transaction_id', 'type']);

/**
 * The columns of {@link EVENT_COLUMNS} but `data`, which comes last. Times come as the
 * envelope's ISO text (the envelope was written with millisecond precision), so a replay does
 * not parse each into a `Date` only to format it again.
 */
export const ENVELOPE_COLUMNS = ENVELOPE.map(([name, expression]) =>
  name === expression ? name : `${expression} AS ${name}`,
).join(', ');

/**
 * {@link ENVELOPE_COLUMNS} for a reader that decodes only events of some types: a row for
 * which the boolean SQL expression `wanted` is false carries only its place in the log and its
 * type, the rest null. Such a row is only passed over, so the database formats no times for
 * it and node-postgres decodes four values instead of thirteen (typed reads of a replay:
 * 345,000-395,000 → about 1,000,000 rows/s).
 */
export const typedEnvelopeColumns = (wanted: string): string =>
  ENVELOPE.map(([name, expression]) =>
    ALWAYS_READ.has(name) ? name : `CASE WHEN ${wanted} THEN ${expression} END AS ${name}`,
  ).join(', ');

/** Columns selected whenever events are read back, in {@link EventRow}'s order. */
export const EVENT_COLUMNS = `${ENVELOPE_COLUMNS}, data`;

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
  /** UTC ISO-8601 (see {@link EVENT_COLUMNS}). */
  occurred_at: string;
  /** UTC ISO-8601. */
  recorded_at: string;
  causation_id: string | null;
  correlation_id: string | null;
  traceparent: string | null;
  data: unknown;
}

/** How many columns {@link EVENT_COLUMNS} selects (the index of anything selected after them). */
export const EVENT_COLUMN_COUNT = ENVELOPE.length + 1;

/** The index of an {@link ENVELOPE} column in a row read as an array (`data` comes last). */
function indexOf(name: string): number {
  const at = name === 'data' ? ENVELOPE.length : ENVELOPE.findIndex(([column]) => column === name);
  if (at < 0) throw new Error(`no envelope column ${name}`);
  return at;
}
const POSITION = indexOf('position');
const EPOCH = indexOf('epoch');
const TRANSACTION_ID = indexOf('transaction_id');
const EVENT_ID = indexOf('event_id');
const STREAM_ID = indexOf('stream_id');
const TYPE = indexOf('type');
const SCHEMA_VERSION = indexOf('schema_version');
const TENANT_ID = indexOf('tenant_id');
const OCCURRED_AT = indexOf('occurred_at');
const RECORDED_AT = indexOf('recorded_at');
const CAUSATION_ID = indexOf('causation_id');
const CORRELATION_ID = indexOf('correlation_id');
const TRACEPARENT = indexOf('traceparent');
const DATA = indexOf('data');

/**
 * A row of {@link EVENT_COLUMNS} read with `rowMode: 'array'`, the values in {@link EventRow}'s
 * order. Batch reads keep rows in this form and take from them only what they need (a type,
 * a checkpoint, the event): a replay of millions of events makes no keyed copy of each row.
 */
export type EventValues = readonly unknown[];

/** The event type of a row read as {@link EventValues}. */
export const typeOfValues = (values: EventValues): string => values[TYPE] as string;

/** The tenant id of a row read as {@link EventValues} (null for events of no tenant). */
export const tenantOfValues = (values: EventValues): string | null =>
  values[TENANT_ID] as string | null;

/** Where a row read as {@link EventValues} sits in the log, as a checkpoint. */
export const checkpointOfValues = (values: EventValues): PgCheckpoint => ({
  epoch: values[EPOCH] as number,
  transactionId: values[TRANSACTION_ID] as string,
  position: values[POSITION] as string,
});

/**
 * A row read as {@link EventValues} as the event it was appended as, brought to the current
 * schema version of its type, like {@link rowToEvent}.
 * @throws UnknownSchemaVersionError for a version or type this code cannot read.
 */
export function valuesToEvent(values: EventValues): RecordedLeadlineEvent {
  return upcast({
    id: values[EVENT_ID],
    type: values[TYPE],
    schemaVersion: values[SCHEMA_VERSION],
    streamId: values[STREAM_ID],
    tenantId: values[TENANT_ID],
    occurredAt: values[OCCURRED_AT],
    recordedAt: values[RECORDED_AT],
    causationId: values[CAUSATION_ID],
    correlationId: values[CORRELATION_ID],
    traceparent: values[TRACEPARENT],
    data: values[DATA],
    position: values[POSITION],
  } as RecordedLeadlineEvent);
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
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
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
