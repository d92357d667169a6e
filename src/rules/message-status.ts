/**
 * Order of Twilio `MessageStatus` values (Twilio "Message resource: status values"). Status
 * callbacks arrive late, twice and out of order; a message only moves forward: never from
 * `delivered` back to `sent`, and a failure (`undelivered`, `failed`: an error on any segment)
 * is never undone by a later success.
 */
const RANK: Record<string, number> = {
  accepted: 1,
  scheduled: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  delivered: 5,
  read: 6,
  undelivered: 7,
  failed: 7,
  canceled: 7,
};

/**
 * The status a message should show after `incoming` arrives while it shows `current` (pure).
 * Unknown values (including our own `withheld:*`) are kept as they are.
 */
export function nextMessageStatus(current: string, incoming: string): string {
  const from = RANK[current];
  const to = RANK[incoming];
  if (to === undefined) return current;
  if (from === undefined) return current.startsWith('withheld') ? current : incoming;
  return to > from ? incoming : current;
}

/**
 * Delivery errors after which a number cannot receive texts: 30003 unreachable handset,
 * 30005 unknown or inactive number, 30006 landline or unreachable carrier (Twilio error
 * dictionary). The number is marked; later missed calls alert the owner to call back instead.
 */
export const UNREACHABLE_NUMBER_ERRORS = new Set(['30003', '30005', '30006']);

/** Error 30006: the number is a landline (or its carrier cannot take texts). */
export const LANDLINE = '30006';

/** Error 21610: "Attempt to send to unsubscribed recipient": the carrier holds an opt-out. */
export const UNSUBSCRIBED_RECIPIENT = '21610';
