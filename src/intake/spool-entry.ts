import type { SmsStatus } from '../commands/record-sms-status.ts';
import type { StaffText } from '../commands/receive-staff-text.ts';
import type { LeadlineEvent } from '../events/catalogue.ts';

/**
 * What a webhook learned while the log or the database was unreachable, kept in the spool
 * until it can be recorded:
 * - `append`: events the webhook decided, to append as they are (ids unchanged, so appending
 *   them again after a crash is a no-op);
 * - `sms-status`: a message status callback, which needs the database to find the message it
 *   belongs to; it is recorded (`recordSmsStatus`) once the database is back;
 * - `staff-text`: a staff phone's text, which needs the database to find the lead it is for;
 *   it is relayed (`receiveStaffText`) once the database is back.
 */
export type SpoolEntry =
  | { kind: 'append'; events: LeadlineEvent[] }
  | { kind: 'sms-status'; status: SmsStatus; traceparent: string | null }
  | { kind: 'staff-text'; tenantId: string; text: StaffText; traceparent: string | null };

/** One entry as it lies in the spool: its file name (which orders it) and its content. */
export interface SpooledEntry {
  name: string;
  /** When it was spooled (ms since the epoch, from the file name). */
  spooledAt: number;
  entry: SpoolEntry;
  bytes: number;
}

/**
 * Reads a spool file's JSON back into an entry (pure).
 * @throws Error naming the problem when the content is not an entry this code wrote.
 */
export function parseSpoolEntry(json: string): SpoolEntry {
  const value = JSON.parse(json) as Partial<SpoolEntry> | null;
  if (value?.kind === 'append' && Array.isArray(value.events)) {
    for (const event of value.events) {
      if (typeof event?.id !== 'string' || typeof event.type !== 'string') {
        throw new Error('an event in the entry has no id or type');
      }
    }
    return value as SpoolEntry;
  }
  if (value?.kind === 'sms-status' && typeof value.status?.messageSid === 'string') {
    return value as SpoolEntry;
  }
  if (
    value?.kind === 'staff-text' &&
    typeof value.tenantId === 'string' &&
    typeof value.text?.messageSid === 'string'
  ) {
    return value as SpoolEntry;
  }
  throw new Error(`not a spool entry (kind ${JSON.stringify(value?.kind)})`);
}
