/**
 * Texts the sender takes before any other due text, whatever waited longer: a customer's
 * first answer after a missed call, and the replies the carriers' rules require at once
 * (the opt-out confirmation within 5 minutes of STOP, HELP, the opt-in confirmation: CTIA
 * Messaging Principles and Best Practices, 2023, §5.1). A burst of owner alerts (a debounce
 * window closing for many leads at once) or acknowledgements must never hold back a caller
 * who is deciding whether to ring the next plumber. A person's own reply (a staff text relayed
 * to a lead) and what the staff member is told about it go first too: someone is waiting on
 * each end.
 *
 * Read when a text is queued (`outbound_messages.send_first`, which the sender's claim orders
 * by): a change to this list orders the texts queued from then on; those already waiting keep
 * their place (migration `20261129160000000` set it for the texts waiting then).
 */
export const SEND_FIRST_PURPOSES: readonly string[] = [
  'missed-call-text',
  'opt-out-confirmation',
  'opt-in-confirmation',
  'help',
  'staff-reply',
  'relay-refused',
  'relay-help',
];
