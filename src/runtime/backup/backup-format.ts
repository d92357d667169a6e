import { z } from 'zod';
import { validateEventData } from '../../events/catalogue.ts';
import { upcast } from '../../events/upcasters.ts';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { LOG_KINDS } from '../../log/log-kinds.ts';

/**
 * The backup file format (`leadline backup`, `leadline restore`), version 1: gzip-compressed
 * NDJSON, UTF-8, one JSON object per line:
 *
 * 1. a {@link BackupHeader} (`kind: "leadline-backup"`);
 * 2. one event envelope per line, in log order ({@link RecordedLeadlineEvent}: every envelope
 *    field, `position` being where the event sat in the log that was backed up);
 * 3. a {@link BackupTrailer} (`kind: "leadline-backup-end"`) with the number of event lines
 *    and the SHA-256 of their bytes, so a file cut at a line boundary, or edited, is refused.
 *
 * Files are named `leadline-<UTC timestamp>.ndjson.gz` ({@link backupFileName}), so names sort
 * in time order; a backup being written has a hidden `.partial` name until it is complete.
 */
export const BACKUP_FORMAT_VERSION = 1;

/** `kind` of the first line. */
export const HEADER_KIND = 'leadline-backup';
/** `kind` of the last line. */
export const TRAILER_KIND = 'leadline-backup-end';

/** The first line of a backup. */
export const backupHeaderSchema = z.object({
  kind: z.literal(HEADER_KIND),
  /** {@link BACKUP_FORMAT_VERSION} of the writer; a reader refuses a version it does not know. */
  formatVersion: z.number().int().positive(),
  /** Random UUID naming this backup (a resumed restore of the same backup recognises it). */
  backupId: z.uuid(),
  /** When the snapshot was taken (UTC ISO-8601). */
  createdAt: z.iso.datetime(),
  /** The log that was backed up (one of `LOG_KINDS`: `postgres`, `kafka`). */
  logBackend: z.enum(LOG_KINDS),
  /** Event lines that follow. */
  events: z.number().int().nonnegative(),
  /**
   * `position` of the last event line (PostgreSQL log order); null when the log was empty and
   * on Kafka (see `highWatermarks`).
   */
  head: z.string().nullable(),
  /**
   * Kafka only: the high-water mark the backup read each partition up to
   * (`<topic>/<partition>` → next offset); null on PostgreSQL.
   */
  highWatermarks: z.record(z.string(), z.string()).nullable(),
  /** The newest event schema version the writer knew (`CURRENT_SCHEMA_VERSION`), for people. */
  schemaVersion: z.number().int().positive(),
});

/** The first line of a backup. */
export type BackupHeader = z.infer<typeof backupHeaderSchema>;

/** The last line of a backup. */
export const backupTrailerSchema = z.object({
  kind: z.literal(TRAILER_KIND),
  /** Event lines written (equals the header's `events`). */
  events: z.number().int().nonnegative(),
  /** Lower-case hex SHA-256 of the event lines' bytes, each with its `\n`. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The last line of a backup. */
export type BackupTrailer = z.infer<typeof backupTrailerSchema>;

const nullableText = z.string().nullable();

/** The envelope of one event line (the data is checked against the catalogue separately). */
const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  streamId: z.string().min(1),
  tenantId: nullableText,
  occurredAt: z.iso.datetime({ offset: true }),
  recordedAt: z.iso.datetime({ offset: true }),
  causationId: z.uuid().nullable(),
  correlationId: nullableText,
  traceparent: nullableText,
  data: z.unknown(),
  position: z.string(),
});

/**
 * Checks one event line's envelope, and its data against the event catalogue: an event at
 * its type's current schema version is validated as is (`validateEventData`); an older one
 * is upcast (`events/upcasters.ts`) and the result validated, proving this code can read it.
 *
 * @returns the event as it must be appended: the envelope exactly as written (version and
 *   data untouched, so restored envelopes are identical), without its old `position`.
 * @throws Error with a message safe to print (it names fields, never their values), e.g.
 *   for a type not in the catalogue or a schema version newer than this code reads.
 */
export function parseEventLine(value: unknown): LeadlineEvent {
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    const fields = [...new Set(envelope.error.issues.map((i) => i.path.join('.') || '(line)'))];
    throw new Error(`not an event envelope (bad or missing ${fields.join(', ')})`);
  }
  const { position: _position, ...event } = envelope.data;
  const current = upcast(event);
  validateEventData(current.type, current.data);
  return event as LeadlineEvent;
}

/** One event as a backup line (without the newline). */
export function eventLine(event: RecordedLeadlineEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamId: event.streamId,
    tenantId: event.tenantId,
    occurredAt: event.occurredAt,
    recordedAt: event.recordedAt,
    causationId: event.causationId,
    correlationId: event.correlationId,
    traceparent: event.traceparent,
    data: event.data,
    position: event.position,
  });
}

/** Matches complete backup file names; group 1 is the timestamp. */
export const BACKUP_FILE_PATTERN = /^leadline-(\d{8}T\d{6}\.\d{3}Z)\.ndjson\.gz$/;

/**
 * The file name of a backup taken at `at`: `leadline-20261124T153012.345Z.ndjson.gz` (UTC,
 * millisecond precision, no colons so it is valid on every file system).
 */
export function backupFileName(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '');
  return `leadline-${stamp}.ndjson.gz`;
}
