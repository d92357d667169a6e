import { formatLocalTime } from '../tenants/business-hours.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { formatForPeople } from '../shared/phone.ts';
import type { Urgency } from './urgency.ts';

/**
 * Every text Leadline sends, in one place. Lead-facing texts name the business and say how to
 * opt out (CTIA Messaging Principles and Best Practices §5: identify the sender, give
 * opt-out instructions in the first message), and stay within one or two SMS segments.
 */
export const copy = {
  /** To a caller whose call was missed or came after hours. */
  missedCallText: (t: Tenant, firstEver: boolean) =>
    `Hi, this is ${t.name}. Sorry we missed your call! Reply here with what you need and we'll get right back to you. ` +
    (firstEver ? 'Msg & data rates may apply. Reply STOP to opt out.' : 'Reply STOP to opt out.'),

  /** To the owner, about a missed call. */
  missedCallAlert: (
    t: Tenant,
    caller: string,
    at: Date,
    outcome: 'texted' | 'repeat' | 'opted-out' | 'unreachable',
    reason: string,
  ) =>
    `Leadline: missed call (${reason}) from ${formatForPeople(caller)} at ${formatLocalTime(at, t.timezone)}. ` +
    {
      texted: 'We texted them; replies will come to you here.',
      repeat: 'They called again; we already texted them a few minutes ago.',
      'opted-out': 'They have opted out of texts: call them back.',
      unreachable: 'Their number cannot receive texts: call them back.',
    }[outcome],

  /** To a caller who pressed 1 for an emergency after hours and the on-call phone missed. */
  emergencyUnansweredText: (t: Tenant, firstEver: boolean) =>
    `Hi, this is ${t.name}. Sorry our on-call technician couldn't pick up. We've alerted the team and will call you back as soon as possible; reply here with details (photos help). ` +
    (firstEver ? 'Msg & data rates may apply. Reply STOP to opt out.' : 'Reply STOP to opt out.'),

  /** To the owner: an after-hours emergency the on-call phone did not answer. */
  emergencyUnansweredAlert: (t: Tenant, caller: string, at: Date) =>
    `EMERGENCY: ${formatForPeople(caller)} pressed 1 for an emergency at ${formatLocalTime(at, t.timezone)} and the on-call phone did not answer. Call them back now.`,

  /** Asks a customer, after a job, how it went (consent-gated; quiet hours apply). */
  reviewRequest: (t: Tenant) =>
    `${t.name}: thanks for choosing us! How did we do? Reply GOOD or BAD, or tell us in your own words. Reply STOP to opt out.`,

  /** Answers a good review reply: the review link when the tenant has one, else thanks. */
  reviewThanks: (t: Tenant) =>
    t.reviewLink
      ? `${t.name}: thank you, that means a lot! If you have a minute, a review helps other homeowners find us: ${t.reviewLink}`
      : `${t.name}: thank you, that means a lot!`,

  /** Answers a bad review reply. */
  reviewApology: (t: Tenant) =>
    `${t.name}: we're sorry we let you down. The owner has been told and will call you to make it right.`,

  /** To the owner: a customer answered a review request unhappily. */
  badReviewAlert: (customer: string, body: string) =>
    `URGENT: ${formatForPeople(customer)} is unhappy with the job: "${truncate(body, 280)}". We apologised and said you'd call; please call them today.`,

  /** To the owner: a text to a customer failed for good. */
  sendFailureAlert: (customer: string, errorCode: string | null, attempts: number) =>
    `Leadline: we could not text ${formatForPeople(customer)}` +
    (errorCode ? ` (Twilio error ${errorCode})` : '') +
    (attempts > 1 ? ` after ${attempts} tries` : '') +
    '. Please call them back.',

  /** To the owner, when the missed-call text bounced because the number is a landline. */
  landlineAlert: (caller: string) =>
    `Leadline: ${formatForPeople(caller)} looks like a landline, so our text did not reach them. Please call them back.`,

  /** Confirms an opt-out; the only text allowed after it (CTIA §5.1.2). */
  optOutConfirmation: (t: Tenant) =>
    `${t.name}: You're unsubscribed and will get no more texts from us. Reply START to resubscribe.`,

  /** Confirms a re-subscription. */
  optInConfirmation: (t: Tenant) =>
    `${t.name}: You're resubscribed. Msg & data rates may apply. Reply HELP for help, STOP to opt out.`,

  /** Answers HELP (CTIA §5.1.3: business name, contact, opt-out). */
  help: (t: Tenant) =>
    `${t.name}: we answer missed calls and texts. Call or text ${formatForPeople(t.twilioNumber)}. Msg & data rates may apply. Reply STOP to opt out.`,

  /** Acknowledges a lead's text. */
  acknowledgement: (t: Tenant) =>
    `Thanks, ${t.name} got your message and will reply as soon as we can. Reply STOP to opt out.`,

  /**
   * To the owner, about one or more texts from a lead (grouped over the tenant's debounce
   * window), e.g. `STANDARD: 2 texts from (647) 555-0123: "…" / "…" (+1 photo, +1 video)`:
   * the attachments of all the texts by kind (`rules/media.ts`; photos, videos, files, each
   * only when there are any). Each text is shortened so the alert stays within about four
   * SMS segments.
   */
  messageAlert: (
    sender: string,
    texts: Array<{ body: string; photos: number; videos?: number; files?: number }>,
    o: { optedOut: boolean; urgency: Urgency },
  ) => {
    const total = (kind: 'photos' | 'videos' | 'files') =>
      texts.reduce((n, t) => n + (t[kind] ?? 0), 0);
    const attached = (
      [
        [total('photos'), 'photo'],
        [total('videos'), 'video'],
        [total('files'), 'file'],
      ] as const
    )
      .filter(([n]) => n > 0)
      .map(([n, noun]) => `+${n} ${noun}${n === 1 ? '' : 's'}`);
    const each = Math.max(60, Math.floor(480 / texts.length));
    const quoted = texts.map((t) => `"${truncate(t.body, texts.length === 1 ? 280 : each)}"`);
    return (
      `${o.urgency}: ${texts.length === 1 ? 'text' : `${texts.length} texts`} from ${formatForPeople(sender)}` +
      `${o.optedOut ? ' (opted out of texts)' : ''}: ${quoted.join(' / ')}` +
      (attached.length > 0 ? ` (${attached.join(', ')})` : '')
    );
  },
};

function truncate(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}
