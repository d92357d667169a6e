import { createHash, randomUUID } from 'node:crypto';

/** Namespace UUID of all Leadline deterministic ids (a fixed random v4 UUID). */
const LEADLINE_NAMESPACE = 'b0f5c8de-61a4-4f0e-9d2b-4a8f6c1e7d35';

/**
 * A name-based UUID (RFC 9562 §5.5, version 5, SHA-1) of `parts` joined by `:`.
 *
 * The same external facts always give the same id: a Twilio webhook retried with the same
 * `CallSid` yields the same event id, which makes the log's idempotent append drop the copy.
 *
 * @example deterministicId('CallReceived', 'CA123') // always the same UUID
 */
export function deterministicId(...parts: string[]): string {
  const ns = Buffer.from(LEADLINE_NAMESPACE.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(parts.join(':'), 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Source of fresh random ids; injected so tests can make them predictable. */
export type IdGenerator = () => string;

/** Random version 4 UUIDs from the platform's CSPRNG. */
export const randomId: IdGenerator = () => randomUUID();
