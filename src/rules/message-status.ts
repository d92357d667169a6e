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

/** Error 21610: "Attempt to send to unsubscribed recipient": the carrier holds an opt-out. */
export const UNSUBSCRIBED_RECIPIENT = '21610';
