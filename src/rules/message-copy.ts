import { formatLocalTime } from '../tenants/business-hours.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { formatForPeople } from '../shared/phone.ts';
import { cutText } from '../shared/text.ts';
import type { Urgency } from './urgency.ts';
import type { Language, QualificationFields, QuestionTopic } from '../qualification/model.ts';

/**
 * Every text Leadline sends, in one place; what a customer reads exists in English and French
 * (`lang`, default English: issue 16, Quebec's Charter of the French Language), as do the
 * spoken prompts ({@link voiceWords}). Lead-facing texts name the business and say how to
 * opt out (CTIA Messaging Principles and Best Practices §5: identify the sender, give
 * opt-out instructions in the first message), and stay within one or two SMS segments.
 */
export const copy = {
  /** To a caller whose call was missed or came after hours. */
  missedCallText: (t: Tenant, firstEver: boolean, lang: Language = 'en') =>
    (lang === 'fr'
      ? `Bonjour, ici ${t.name}. Désolé d'avoir manqué votre appel! Écrivez-nous ici ce dont vous avez besoin et on vous revient rapidement. `
      : `Hi, this is ${t.name}. Sorry we missed your call! Reply here with what you need and we'll get right back to you. `) +
    optOutHint(firstEver, lang),

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
  firstStaffReply: (t: Tenant, body: string, lang: Language = 'en') => {
    const footer = `\n— ${t.name}. ${optOutHint(false, lang)}`;
    // Twilio refuses bodies over 1,600 characters (error 21617): the footer must fit.
    const room = 1_600 - footer.length;
    return `${body.length <= room ? body : `${cutText(body, room - 1)}…`}${footer}`;
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
  emergencyUnansweredText: (t: Tenant, firstEver: boolean, lang: Language = 'en') =>
    (lang === 'fr'
      ? `Bonjour, ici ${t.name}. Désolé, notre technicien de garde n'a pas pu répondre. L'équipe est avertie et vous rappellera dès que possible; écrivez-nous les détails ici (les photos aident). `
      : `Hi, this is ${t.name}. Sorry our on-call technician couldn't pick up. We've alerted the team and will call you back as soon as possible; reply here with details (photos help). `) +
    optOutHint(firstEver, lang),

  /** To the owner: an after-hours emergency the on-call phone did not answer. */
  emergencyUnansweredAlert: (t: Tenant, caller: string, at: Date) =>
    `EMERGENCY: ${formatForPeople(caller)} pressed 1 for an emergency at ${formatLocalTime(at, t.timezone)} and the on-call phone did not answer. Call them back now.`,

  /** Asks a customer, after a job, how it went (consent-gated; quiet hours apply). */
  reviewRequest: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? `${t.name} : merci de nous avoir choisis! Comment était notre travail? Répondez BIEN ou MAL, ou dites-le dans vos mots. Répondez STOP pour vous désabonner.`
      : `${t.name}: thanks for choosing us! How did we do? Reply GOOD or BAD, or tell us in your own words. Reply STOP to opt out.`,

  /** Answers a good review reply: the review link when the tenant has one, else thanks. */
  reviewThanks: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? t.reviewLink
        ? `${t.name} : merci, ça nous fait vraiment plaisir! Si vous avez une minute, un avis aide d'autres propriétaires à nous trouver : ${t.reviewLink}`
        : `${t.name} : merci, ça nous fait vraiment plaisir!`
      : t.reviewLink
        ? `${t.name}: thank you, that means a lot! If you have a minute, a review helps other homeowners find us: ${t.reviewLink}`
        : `${t.name}: thank you, that means a lot!`,

  /** Answers a bad review reply. */
  reviewApology: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? `${t.name} : nous sommes désolés de vous avoir déçu. Le propriétaire est averti et vous appellera pour arranger les choses.`
      : `${t.name}: we're sorry we let you down. The owner has been told and will call you to make it right.`,

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
  optOutConfirmation: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? `${t.name} : vous êtes désabonné et ne recevrez plus de textos de notre part. Répondez START pour vous réabonner.`
      : `${t.name}: You're unsubscribed and will get no more texts from us. Reply START to resubscribe.`,

  /** Confirms a re-subscription. */
  optInConfirmation: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? `${t.name} : vous êtes réabonné. Des frais de messagerie peuvent s'appliquer. Répondez AIDE pour de l'aide, STOP pour vous désabonner.`
      : `${t.name}: You're resubscribed. Msg & data rates may apply. Reply HELP for help, STOP to opt out.`,

  /** Answers HELP (CTIA §5.1.3: business name, contact, opt-out). */
  help: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? `${t.name} : nous répondons aux appels manqués et aux textos. Appelez ou textez le ${formatForPeople(t.twilioNumber)}. Des frais de messagerie peuvent s'appliquer. Répondez STOP pour vous désabonner.`
      : `${t.name}: we answer missed calls and texts. Call or text ${formatForPeople(t.twilioNumber)}. Msg & data rates may apply. Reply STOP to opt out.`,

  /** Acknowledges a lead's text. */
  acknowledgement: (t: Tenant, lang: Language = 'en') =>
    lang === 'fr'
      ? `Merci, ${t.name} a bien reçu votre message et vous répondra dès que possible. Répondez STOP pour vous désabonner.`
      : `Thanks, ${t.name} got your message and will reply as soon as we can. Reply STOP to opt out.`,

  /**
   * To the owner, about one or more texts from a lead (grouped over the tenant's debounce
   * window), e.g. `STANDARD: 2 texts from (647) 555-0123: "…" / "…" (+1 photo, +1 video)`:
   * the attachments of all the texts by kind (`rules/media.ts`; photos, videos, files, each
   * only when there are any), and on a line of its own the qualification summary when one is
   * known (`qualificationSummary`). Each text is shortened so the alert stays within about
   * four SMS segments.
   */
  messageAlert: (
    sender: string,
    texts: Array<{ body: string; photos: number; videos?: number; files?: number }>,
    o: { optedOut: boolean; urgency: Urgency; summary?: string | null },
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
      (attached.length > 0 ? ` (${attached.join(', ')})` : '') +
      (o.summary ? `\n${o.summary}.` : '')
    );
  },
};

const QUESTIONS: Record<Language, Record<QuestionTopic, string>> = {
  en: {
    job: "What's the plumbing problem? A few words is fine.",
    address: "What's the address of the job (or the postal/ZIP code)?",
    urgency: 'How soon do you need us, and what times suit you?',
    name: "And what's your name?",
    times: 'What days or times suit you for a visit?',
  },
  fr: {
    job: 'Quel est le problème de plomberie? Quelques mots suffisent.',
    address: "Quelle est l'adresse des travaux (ou le code postal)?",
    urgency: "C'est pour quand, et quelles heures vous conviennent?",
    name: 'Et votre nom?',
    times: 'Quels jours ou heures vous conviennent pour une visite?',
  },
};

/** How every first text ends (CTIA §5): rates on the first text a number ever gets, opt-out always. */
const optOutHint = (firstEver: boolean, lang: Language) =>
  firstEver ? OPT_OUT_HINT[lang].first : OPT_OUT_HINT[lang].again;

const OPT_OUT_HINT: Record<Language, { first: string; again: string }> = {
  en: {
    first: 'Msg & data rates may apply. Reply STOP to opt out.',
    again: 'Reply STOP to opt out.',
  },
  fr: {
    first: "Des frais de messagerie peuvent s'appliquer. Répondez STOP pour vous désabonner.",
    again: 'Répondez STOP pour vous désabonner.',
  },
};

/**
 * The qualifying assistant's texts to a lead, in English and French (issue 16). They ask
 * one short question at a time, never quote a price and never promise a time. The first
 * text a conversation gets names the business and says how to opt out (CTIA §5).
 */
export const assistantCopy = {
  /** One question; `opening`: the first text of the conversation from us. */
  question: (
    t: Tenant,
    topic: QuestionTopic,
    lang: Language,
    o: { opening: boolean; firstEver: boolean },
  ) => {
    const ask = QUESTIONS[lang][topic];
    if (!o.opening) return ask;
    const hello =
      lang === 'fr'
        ? `${t.name} : merci pour votre message! `
        : `${t.name}: thanks for your message! `;
    return `${hello}${ask} ${o.firstEver ? OPT_OUT_HINT[lang].first : OPT_OUT_HINT[lang].again}`;
  },

  /** The last text once the lead is qualified: someone will call, with no time promised. */
  qualifiedThanks: (t: Tenant, name: string | null, lang: Language) =>
    lang === 'fr'
      ? `Merci${name ? `, ${name}` : ''}! Nous avons tout ce qu'il nous faut; ${t.name} vous rappellera. ${OPT_OUT_HINT.fr.again}`
      : `Thanks${name ? `, ${name}` : ''}! We have what we need; ${t.name} will call you back. ${OPT_OUT_HINT.en.again}`,

  /** To a qualified lead outside the tenant's service area, once. */
  outsideArea: (t: Tenant, postalCode: string, lang: Language) =>
    lang === 'fr'
      ? `Désolé, ${t.name} ne dessert pas le secteur ${postalCode}. Nous vous suggérons de contacter un plombier plus près de chez vous. Merci d'avoir pensé à nous!`
      : `Sorry, ${t.name} doesn't serve ${postalCode}, so we can't take this job. We'd suggest a plumber closer to you. Thanks for thinking of us!`,
};

/**
 * The one-line summary of a qualified lead for the owner (issue 16):
 * `Burst pipe · 12 Oak St M4C · EMERGENCY · today · Sarah`, then `OUTSIDE AREA` when the
 * postal code is outside the service area. The address shows the postal code's first three
 * characters (the FSA or ZIP3 area), the full code when there is no street. Null when
 * nothing is known yet.
 */
export function qualificationSummary(
  fields: QualificationFields,
  outsideArea: boolean,
): string | null {
  const area = fields.postalCode
    ? fields.address
      ? fields.postalCode.slice(0, 3)
      : fields.postalCode
    : null;
  const where = [fields.address, area].filter(Boolean).join(' ');
  const parts = [
    fields.jobSummary ?? (fields.category ? CATEGORY_NAMES[fields.category] : null),
    where || null,
    fields.urgency ? fields.urgency.toUpperCase() : null,
    fields.preferredWindows[0] ?? null,
    fields.name,
    outsideArea ? 'OUTSIDE AREA' : null,
  ].filter((p): p is string => p !== null && p !== '');
  return parts.length === 0 ? null : parts.map((p) => truncate(p, 60)).join(' · ');
}

/** How the owner reads each job category. */
const CATEGORY_NAMES: Record<NonNullable<QualificationFields['category']>, string> = {
  leak: 'Leak',
  'clog-drain': 'Clog/drain',
  'water-heater': 'Water heater',
  toilet: 'Toilet',
  'fixture-install': 'Fixture install',
  sewer: 'Sewer',
  'gas-smell': 'GAS SMELL',
  'no-water': 'No water',
  other: 'Other plumbing',
};

/** To the owner, once a lead is qualified and their texts' alert already went. */
export const qualifiedAlert = (lead: string, summary: string) =>
  `Leadline: ${formatForPeople(lead)} — ${summary}`;

function truncate(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length <= max ? clean : `${cutText(clean, max - 1)}…`;
}

/**
 * Every word Leadline speaks on a call (`rules/voice-responses.ts` builds the TwiML), in the
 * tenant's language, with the `<Say>` voice and language that read it: Amazon Polly's US
 * English Joanna, or its Canadian French Chantal (Twilio TwiML `<Say>`: `voice`, `language`).
 */
export const voiceWords = {
  en: {
    say: { voice: 'Polly.Joanna', language: 'en-US' },
    emergencyMenu: (t: Tenant) =>
      `Thanks for calling ${t.name}. We're closed right now. If this is a plumbing emergency, press 1 to reach our on-call technician. Otherwise, hang up and we'll text you in a moment.`,
    connectingOnCall: 'Connecting you to our on-call technician now.',
    afterHoursGoodbye: (t: Tenant) =>
      `Thanks for calling ${t.name}. We'll send you a text message in a moment so you can tell us what you need.`,
    onCallMissed: (t: Tenant) =>
      `Sorry, our on-call technician couldn't pick up. We've alerted ${t.name} and will call you back as soon as possible. We'll text you in a moment.`,
    afterHoursWithheld: (t: Tenant) =>
      `Thanks for calling ${t.name}. We're closed right now and your number is hidden, so we can't text you back. Please call again during business hours.`,
    missedWithheld: (t: Tenant) =>
      `Sorry, ${t.name} can't come to the phone right now, and your number is hidden, so we can't text you back. Please call again soon.`,
    missedCall: (t: Tenant) =>
      `Sorry, ${t.name} can't come to the phone right now. We'll text you in a moment.`,
    afterHours: (t: Tenant) =>
      `Thanks for calling ${t.name}. We're closed right now. We'll send you a text message in a moment so you can tell us what you need.`,
    leaveMessage: 'Or leave a short message after the tone.',
    voicemailThanks: 'Thank you. We got your message. Goodbye.',
    screening: (t: Tenant) => `Leadline call for ${t.name}. Press 1 to take this call.`,
    staffCall: (t: Tenant) =>
      `This is the ${t.name} business line. To text a customer from it, text this number with the customer's reference, for example hash 4 8 2 1, then your message.`,
    callBackWhisper: 'Leadline call-back. Press 1 to call your customer now.',
    noKey: 'No key pressed. Goodbye.',
    connecting: 'Connecting you now.',
  },
  fr: {
    say: { voice: 'Polly.Chantal', language: 'fr-CA' },
    emergencyMenu: (t: Tenant) =>
      `Merci d'appeler ${t.name}. Nous sommes fermés en ce moment. S'il s'agit d'une urgence de plomberie, faites le 1 pour joindre notre technicien de garde. Sinon, raccrochez et nous vous enverrons un texto dans un instant.`,
    connectingOnCall: 'Nous vous transférons à notre technicien de garde.',
    afterHoursGoodbye: (t: Tenant) =>
      `Merci d'appeler ${t.name}. Nous vous enverrons un texto dans un instant pour que vous puissiez nous dire ce dont vous avez besoin.`,
    onCallMissed: (t: Tenant) =>
      `Désolé, notre technicien de garde n'a pas pu répondre. ${t.name} est averti et vous rappellera dès que possible. Nous vous enverrons un texto dans un instant.`,
    afterHoursWithheld: (t: Tenant) =>
      `Merci d'appeler ${t.name}. Nous sommes fermés en ce moment et votre numéro est masqué, alors nous ne pouvons pas vous texter. Veuillez rappeler pendant les heures d'ouverture.`,
    missedWithheld: (t: Tenant) =>
      `Désolé, ${t.name} ne peut pas répondre en ce moment et votre numéro est masqué, alors nous ne pouvons pas vous texter. Veuillez rappeler bientôt.`,
    missedCall: (t: Tenant) =>
      `Désolé, ${t.name} ne peut pas répondre en ce moment. Nous vous enverrons un texto dans un instant.`,
    afterHours: (t: Tenant) =>
      `Merci d'appeler ${t.name}. Nous sommes fermés en ce moment. Nous vous enverrons un texto dans un instant pour que vous puissiez nous dire ce dont vous avez besoin.`,
    leaveMessage: 'Ou laissez un court message après le bip.',
    voicemailThanks: 'Merci. Nous avons bien reçu votre message. Au revoir.',
    screening: (t: Tenant) => `Appel Leadline pour ${t.name}. Faites le 1 pour prendre l'appel.`,
    staffCall: (t: Tenant) =>
      `Ici la ligne d'affaires de ${t.name}. Pour texter un client à partir de ce numéro, textez ce numéro avec la référence du client, par exemple dièse 4 8 2 1, puis votre message.`,
    callBackWhisper: 'Rappel Leadline. Faites le 1 pour appeler votre client maintenant.',
    noKey: "Aucune touche n'a été enfoncée. Au revoir.",
    connecting: 'Nous vous mettons en communication.',
  },
} as const;

/**
 * The one-click unsubscribe page (`/u/<token>`) and the footer that carries its link, in
 * English and French: the page in the tenant's language unless the browser prefers the other
 * (`Accept-Language`), the footer in the language of the text it ends.
 */
export const unsubscribeCopy = {
  en: {
    footer: (url: string) => `Unsubscribe: ${url}`,
    unknownTitle: 'Link not recognised',
    unknown: 'This unsubscribe link is not valid. Reply STOP to any of our texts instead.',
    doneTitle: "You're unsubscribed",
    done: (name: string, number: string) =>
      `You will get no more texts from ${name}. To hear from us again, text START to ${number}.`,
    already: (name: string) =>
      `You were already unsubscribed from ${name}'s texts. Nothing more to do.`,
  },
  fr: {
    footer: (url: string) => `Désabonnement : ${url}`,
    unknownTitle: 'Lien non reconnu',
    unknown:
      "Ce lien de désabonnement n'est pas valide. Répondez plutôt STOP à l'un de nos textos.",
    doneTitle: 'Vous êtes désabonné',
    done: (name: string, number: string) =>
      `Vous ne recevrez plus de textos de ${name}. Pour nous réentendre, textez START au ${number}.`,
    already: (name: string) =>
      `Vous étiez déjà désabonné des textos de ${name}. Il n'y a rien d'autre à faire.`,
  },
} as const;
