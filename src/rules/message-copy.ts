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
    outcome: 'texted' | 'held' | 'taken-over' | 'repeat' | 'opted-out' | 'unreachable',
    reason: string,
  ) =>
    `Leadline: missed call (${reason}) from ${formatForPeople(caller)} at ${formatLocalTime(at, t.timezone)}. ` +
    {
      texted: 'We texted them; replies will come to you here.',
      held: `We'll text them in ${t.takeoverWindowSeconds} s unless you reply or call back first.`,
      'taken-over': "You're already talking with them, so we sent no automatic text.",
      repeat: 'They called again; we already texted them a few minutes ago.',
      'opted-out': 'They have opted out of texts: call them back.',
      unreachable: 'Their number cannot receive texts: call them back.',
    }[outcome],

  /**
   * Ends every owner alert about a lead: the lead's reference (`rules/lead-ref.ts`). A reply
   * to the alert, or a text starting with `#<ref>`, reaches the lead from the business number.
   */
  replyHint: (ref: string) => `Reply to text them (#${ref}).`,

  /** Ends a missed-call alert that waited for the voicemail: what the caller said. */
  voicemailTranscript: (text: string) => `Voicemail: "${truncate(text, 400)}"`,

  /** Ends a missed-call alert whose voicemail Twilio could not transcribe. */
  voicemailWithoutTranscript: () =>
    'They left a voicemail (no transcript): listen in the dashboard.',

  /** Ends a missed-call alert sent before the voicemail's transcript came. */
  voicemailPending: () => 'They left a voicemail; its transcript will follow.',

  /** A voicemail's transcript that came after the missed-call alert went out. */
  voicemailFollowUp: (caller: string, heard: string) =>
    `Leadline: voicemail from ${formatForPeople(caller)}. ${heard}`,

  /** To a caller without a caller ID whose call was missed: the owner cannot text them. */
  withheldCallAlert: (t: Tenant, at: Date) =>
    `Leadline: missed call from a withheld number at ${formatLocalTime(at, t.timezone)} — they may call back. We could not text them.`,

  /**
   * A staff member's reply as the lead gets it when it is the first text the number ever gets
   * from the business: it names the business and says how to opt out (CTIA §5).
   */
  firstStaffReply: (t: Tenant, body: string) => {
    const footer = `\n— ${t.name}. Reply STOP to opt out.`;
    // Twilio refuses bodies over 1,600 characters (error 21617): the footer must fit.
    const room = 1_600 - footer.length;
    return `${body.length <= room ? body : `${body.slice(0, room - 1)}…`}${footer}`;
  },

  /** To the staff member whose reply did not reach the lead, and why. */
  relayRefused: (
    lead: string,
    ref: string,
    why: 'opted-out' | 'unreachable' | 'no-consent' | 'quota',
  ) =>
    `Leadline: not sent to ${formatForPeople(lead)} (#${ref}): ` +
    {
      'opted-out': 'they opted out of texts (STOP). Call them instead.',
      unreachable: 'their number cannot receive texts. Call them instead.',
      'no-consent': 'we hold no consent to text them. Call them instead.',
      quota: "today's limit of texts to customers is reached. Call them instead.",
    }[why],

  /** To a staff member whose text to the business number could not be relayed to a lead. */
  relayHelp: (
    reason: 'no-recent-alert' | 'unknown-code' | 'ambiguous-code' | 'empty-message',
    code: string | null,
  ) =>
    'Leadline: not sent. ' +
    {
      'no-recent-alert':
        'Which customer? Start with their reference from the alert, e.g. "#4821 On my way".',
      'unknown-code': `No customer has the reference #${code ?? ''}. Check the alert and try again.`,
      'ambiguous-code': `#${code ?? ''} matches more than one customer: use their full number instead, e.g. "#6475550123 On my way".`,
      'empty-message': 'Write your message after the reference, e.g. "#4821 On my way".',
    }[reason],

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
