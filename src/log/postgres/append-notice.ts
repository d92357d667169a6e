/**
 * What an append tells the log's readers in its `NOTIFY` (channel `leadline_events`): the
 * distinct event types it inserted, joined by commas (event type names hold none). An empty
 * payload (another writer, an older Leadline, a payload that would not fit) says nothing
 * about the types, so it concerns every reader.
 */

/** PostgreSQL's limit for a `NOTIFY` payload is 8,000 bytes; past this, none is given. */
const MAX_PAYLOAD_BYTES = 7_000;

/**
 * The SQL expression of an append's payload, over `inserted` (a relation of the inserted rows
 * with their `type`).
 */
export const APPEND_NOTICE_PAYLOAD = `(SELECT CASE WHEN octet_length(t) > ${MAX_PAYLOAD_BYTES} THEN '' ELSE t END
    FROM (SELECT string_agg(DISTINCT type, ',') AS t FROM inserted) AS types)`;

/**
 * Whether an append notice with `payload` concerns a reader that acts on `types` only: it
 * named one of them, or named none (see above).
 */
export function noticeConcerns(types: ReadonlySet<string>): (payload: string) => boolean {
  return (payload) => payload === '' || payload.split(',').some((type) => types.has(type));
}
