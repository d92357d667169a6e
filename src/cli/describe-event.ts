import type { RecordedLeadlineEvent } from '../events/catalogue.ts';
import {
  leadStreamId,
  parseLeadStreamId,
  parseStaffStreamId,
  staffStreamId,
} from '../events/streams.ts';
import { maskPhone, maskPhonesIn } from '../shared/phone.ts';

/**
 * One event for people, as `leadline events show` and `events tail` print it: position,
 * time, type, then its data as `key=value` pairs (empty values left out), tab-separated.
 */
export function describeEvent(event: RecordedLeadlineEvent): string {
  const data = Object.entries(event.data as Record<string, unknown>)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return [event.position, event.occurredAt, event.type, data].join('\t');
}

/** Data fields that hold a person's phone number (masked by {@link maskEvent}). */
const PHONE_FIELDS = new Set([
  'from',
  'to',
  'phone',
  'ownerPhone',
  'emergencyPhone',
  'onCallPhone',
  'caller',
  'callerId',
  'staffPhone',
  'staffPhones',
  'author',
  'authorPhone',
  'leadPhone',
]);
/** Data fields that hold what a person wrote or sent (redacted by {@link maskEvent}). */
const CONTENT_FIELDS = new Set(['body', 'text', 'note', 'url', 'mediaUrls']);
/** Free-text fields that may quote a number (Twilio's error messages do). */
const FREE_TEXT_FIELDS = new Set(['errorMessage', 'detail']);

/** What a qualification reading quotes of a person: where they live, who they are, their words. */
const QUALIFICATION_FIELDS = new Set(['address', 'name', 'jobSummary', 'preferredWindows']);
const QUALIFICATION_EVENTS = new Set(['QualificationAssessed', 'LeadQualified']);

function maskValue(key: string, value: unknown, content = CONTENT_FIELDS): unknown {
  if (value === null || value === undefined) return value;
  if (content.has(key)) return '[redacted]';
  if (PHONE_FIELDS.has(key) && typeof value === 'string') return maskPhone(value);
  if (FREE_TEXT_FIELDS.has(key) && typeof value === 'string') return maskPhonesIn(value);
  if (Array.isArray(value)) {
    return value.map((item) => maskValue(PHONE_FIELDS.has(key) ? key : '', item, content));
  }
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        maskValue(k, v, content),
      ]),
    );
  }
  return value;
}

/**
 * The event with what identifies or quotes a person hidden, for output that may end up in
 * logs and terminals (`events tail` by default): phone numbers masked as the logs mask them
 * (`+1********23`, in the data and in the stream id), message bodies, consent texts, notes
 * and media URLs replaced by `[redacted]`, so are the address, name, job words and times a
 * qualification reading quotes (its category, postal code and urgency stay), numbers quoted
 * in error messages masked. Ids,
 * types, times and everything else are left as they are.
 */
export function maskEvent(event: RecordedLeadlineEvent): RecordedLeadlineEvent {
  const lead = parseLeadStreamId(event.streamId);
  const staff = parseStaffStreamId(event.streamId);
  return {
    ...event,
    streamId: lead
      ? leadStreamId(lead.tenantId, maskPhone(lead.phone))
      : staff
        ? staffStreamId(staff.tenantId, maskPhone(staff.phone))
        : event.streamId,
    data: maskValue(
      '',
      event.data,
      QUALIFICATION_EVENTS.has(event.type)
        ? new Set([...CONTENT_FIELDS, ...QUALIFICATION_FIELDS])
        : CONTENT_FIELDS,
    ),
  } as RecordedLeadlineEvent;
}
