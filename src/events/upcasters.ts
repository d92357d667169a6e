import type { EventEnvelope } from './envelope.ts';
import { isEventType, schemaVersions, type EventType } from './catalogue.ts';
import { LeadlineError } from '../shared/errors.ts';

/**
 * An event's schema version is one this code cannot read: newer than the current version of
 * its type (written by a newer Leadline: upgrade this process), not a positive whole number,
 * with no upcaster from it, or of a type the catalogue does not have. Readers fail on it
 * rather than misread the event.
 */
export class UnknownSchemaVersionError extends LeadlineError {
  constructor(
    message: string,
    /** The event's type as the log holds it. */
    readonly eventType: string,
    /** The event's schema version as the log holds it. */
    readonly schemaVersion: number,
  ) {
    super('UNKNOWN_SCHEMA_VERSION', message, 500);
  }
}

/** Turns the `data` of one schema version of a type into the next version's (pure). */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * `SmsInbound` 1 → 2: `numMedia` (Twilio's `NumMedia`) and `mediaUrls` (its `MediaUrl{N}`)
 * become `media: [{ url, contentType: null }]`, one per URL in order. Version 1 kept no MIME
 * type, so `contentType` is null (an unknown type counts as a photo in the owner's alert, as
 * every attachment did under version 1). Twilio sends a `MediaUrl{N}` for every N below
 * `NumMedia`, so the URLs are the attachments; a count without URLs (never sent by Twilio)
 * keeps nothing to point at and is dropped.
 */
export function smsInboundV1ToV2(data: Record<string, unknown>): Record<string, unknown> {
  const { numMedia: _numMedia, mediaUrls, ...rest } = data;
  const urls = Array.isArray(mediaUrls)
    ? mediaUrls.filter((u): u is string => typeof u === 'string')
    : [];
  return { ...rest, media: urls.map((url) => ({ url, contentType: null })) };
}

/**
 * The upcasters of each event type, by the version they read: `upcasters[T][v]` turns version
 * `v` into `v + 1`. A type at version `n` needs one for every `v` from 1 to `n - 1`; the
 * chain is applied in order, so version 1 of a type at version 3 goes 1 → 2 → 3.
 */
export const upcasters: Partial<Record<EventType, Readonly<Record<number, Upcaster>>>> = {
  SmsInbound: { 1: smsInboundV1ToV2 },
};

/** How an error names the event it could not read (built only for an error). */
const where = (envelope: EventEnvelope): string =>
  `event ${envelope.id} (${envelope.type} version ${envelope.schemaVersion})`;

/**
 * Brings an event read from a log to the current schema version of its type (pure): applies
 * the type's upcasters from the event's version up to {@link schemaVersions}`[type]` and
 * stamps that version. An event already current is returned as it is. Every read path of
 * every log (`rowToEvent`, the Kafka `decode`) goes through this, so consumers, `read` and
 * `events tail` only ever see current versions.
 *
 * @throws UnknownSchemaVersionError when the type is not in the catalogue, the version is
 *   newer than the current one, not a positive whole number, or has no upcaster.
 */
export function upcast<E extends EventEnvelope>(envelope: E): E {
  const { type, schemaVersion } = envelope;
  if (!isEventType(type)) {
    throw new UnknownSchemaVersionError(
      `${where(envelope)}: event type "${type}" is not in the catalogue, so it has no schema to read it with`,
      type,
      schemaVersion,
    );
  }
  const current = schemaVersions[type];
  if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new UnknownSchemaVersionError(
      `${where(envelope)}: schema version must be a whole number from 1 to ${current}`,
      type,
      schemaVersion,
    );
  }
  if (schemaVersion > current) {
    throw new UnknownSchemaVersionError(
      `${where(envelope)}: written by a newer Leadline; this one reads ${type} up to version ${current}. ` +
        'Upgrade every reader before writers of the new version.',
      type,
      schemaVersion,
    );
  }
  if (schemaVersion === current) return envelope;
  let data = envelope.data as Record<string, unknown>;
  for (let version = schemaVersion; version < current; version++) {
    const step = upcasters[type]?.[version];
    if (!step) {
      throw new UnknownSchemaVersionError(
        `${where(envelope)}: no upcaster from ${type} version ${version} to ${version + 1}`,
        type,
        schemaVersion,
      );
    }
    data = step(data);
  }
  return { ...envelope, schemaVersion: current, data };
}
