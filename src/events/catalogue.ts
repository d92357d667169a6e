import { z } from 'zod';
import type { EventEnvelope, RecordedEvent } from './envelope.ts';
import { QUESTION_TOPICS, qualificationFieldsSchema } from '../qualification/model.ts';

const e164 = z.string().regex(/^\+\d{6,15}$/, 'an E.164 phone number');
const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:MM');

/** Business hours in the tenant's local time, `end` exclusive; `24:00` means midnight. */
export const businessHoursSchema = z.object({ start: hhmm, end: hhmm });

const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/**
 * A tenant's configuration fields without defaults (for `TenantConfigured.changes`). See
 * `tenants/tenant.ts` for what each means.
 */
const tenantFields = {
  name: z.string().min(1),
  ownerPhone: e164,
  timezone: z.string(),
  businessHours: businessHoursSchema,
  emergencyPhone: e164.nullable(),
  voicemailThresholdSeconds: z.number().int().nonnegative(),
  dailyQuota: z.number().int().nonnegative(),
  ownerAlertCap: z.number().int().nonnegative(),
  weeklyHours: z.partialRecord(weekday, businessHoursSchema.nullable()),
  eveningUntil: hhmm.nullable(),
  closedDates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)),
  emergencyMode: z.boolean(),
  callScreening: z.boolean(),
  reviewLink: z.string().url().nullable(),
  alertDebounceSeconds: z.number().int().nonnegative(),
  alertMaxWaitSeconds: z.number().int().nonnegative(),
  quietHoursAllowed: businessHoursSchema,
  staffPhones: z.array(e164).max(50),
  takeoverWindowSeconds: z.number().int().nonnegative(),
  takeoverQuietHours: z.number().int().positive(),
  voicemail: z.boolean(),
  voicemailWaitSeconds: z.number().int().nonnegative(),
  language: z.enum(['en', 'fr']),
  serviceArea: z.array(z.string().regex(/^([A-Z]\d[A-Z]?|\d{3}|\d{5})$/)).max(500),
  qualifyingQuestions: z.number().int().min(0).max(10),
};

/**
 * Defaults of the fields added after the first release, so events recorded before a field
 * existed read back with it: a 10 s voicemail threshold, 200 customer texts and 50 owner
 * alerts a day, no weekly exceptions, evening or holidays, emergency mode and screening off,
 * no review link, owner alerts grouped over 30 s (at most 5 min), texts allowed 08:00-21:00,
 * no staff phones besides the owner's, the missed-call text sent at once (no takeover
 * window), automation resuming after a taken-over conversation is quiet for 24 h, and no
 * voicemail (with it on, a missed call's owner alert waits up to 60 s for the transcript),
 * English, no service area (everywhere is served) and at most 3 qualifying questions a lead.
 */
export const TENANT_DEFAULTS = {
  voicemailThresholdSeconds: 10,
  dailyQuota: 200,
  ownerAlertCap: 50,
  weeklyHours: {},
  eveningUntil: null,
  closedDates: [],
  emergencyMode: false,
  callScreening: false,
  reviewLink: null,
  alertDebounceSeconds: 30,
  alertMaxWaitSeconds: 300,
  quietHoursAllowed: { start: '08:00', end: '21:00' },
  staffPhones: [],
  takeoverWindowSeconds: 0,
  takeoverQuietHours: 24,
  voicemail: false,
  voicemailWaitSeconds: 60,
  language: 'en',
  serviceArea: [],
  qualifyingQuestions: 3,
} as const;

const withDefaults = <T extends Record<string, z.ZodType>>(shape: T) =>
  Object.fromEntries(
    Object.entries(shape).map(([key, schema]) => [
      key,
      key in TENANT_DEFAULTS
        ? schema.default(TENANT_DEFAULTS[key as keyof typeof TENANT_DEFAULTS] as never)
        : schema,
    ]),
  ) as unknown as T;

/** A tenant (plumbing business) was registered with its Twilio number and owner. */
export const TenantRegistered = z.object({
  tenantId: z.string(),
  twilioNumber: e164,
  ...withDefaults(tenantFields),
});

/**
 * An operator changed a tenant's configuration (`leadline tenants update`): `changes` holds
 * only the fields that changed, with their new values. The Twilio number and id never change.
 */
export const TenantConfigured = z.object({
  tenantId: z.string(),
  changes: z.object(tenantFields).partial(),
});

/**
 * Twilio called `POST /twilio/voice` for an inbound call, and we answered with `action`:
 * `ring-owner` (business hours and evening: `<Dial timeout=15>` the owner),
 * `after-hours-notice` (spoken notice, then hang up) or `emergency-menu` (after hours with
 * emergency mode on: "press 1" for the on-call phone). `mode` is the tenant-local period the
 * call fell in (`tenants/schedule.ts`); the evening rings through like business hours.
 */
export const CallReceived = z.object({
  callSid: z.string(),
  from: e164,
  to: e164,
  callStatus: z.string(),
  mode: z.enum(['business-hours', 'evening', 'after-hours']),
  action: z.enum(['ring-owner', 'after-hours-notice', 'emergency-menu']),
});

/**
 * A call came in without a caller ID anyone can call or text back (`From` is `Anonymous`,
 * `Restricted`, `Unavailable`, empty, a keypad placeholder such as `+266696687`, a `client:`
 * or `sip:` identity: `rules/caller-id.ts`). Recorded in the call's own stream
 * (`call:<tenantId>:<CallSid>`, never a lead's): rung like any call, and when missed the
 * owner gets one alert; no text, no consent. `callerId` is what Twilio sent, trimmed to 64
 * characters ('' when absent).
 */
export const WithheldCallReceived = z.object({
  callSid: z.string(),
  callerId: z.string().max(64),
  to: e164,
  callStatus: z.string(),
  mode: z.enum(['business-hours', 'evening', 'after-hours']),
  action: z.enum(['ring-owner', 'after-hours-notice']),
});

/** Which phone a `<Dial>` rang: the owner's, or the on-call phone after an emergency escalation. */
const dialLeg = z.enum(['owner', 'on-call']).default('owner');

/**
 * The `<Dial action>` callback said the phone was answered (`DialCallStatus` completed /
 * answered), by a person: long enough not to be voicemail, and pressed 1 when screened.
 */
export const DialAnswered = z.object({
  callSid: z.string(),
  dialCallSid: z.string().nullable(),
  dialCallStatus: z.enum(['completed', 'answered']),
  dialCallDurationSeconds: z.number().int().nonnegative().nullable(),
  leg: dialLeg,
});

/**
 * The phone rung did not take the call: the `<Dial action>` callback said busy / no-answer /
 * failed / canceled; or `completed` after fewer seconds than the tenant's voicemail threshold
 * (the phone's own voicemail picked up: `likely-voicemail`); or, with call screening, nobody
 * pressed 1 at the whisper (`not-screened-in`).
 */
export const DialMissed = z.object({
  callSid: z.string(),
  dialCallSid: z.string().nullable(),
  dialCallStatus: z.enum(['busy', 'no-answer', 'failed', 'canceled', 'completed', 'answered']),
  reason: z.enum(['not-answered', 'likely-voicemail', 'not-screened-in']).default('not-answered'),
  dialCallDurationSeconds: z.number().int().nonnegative().nullable().default(null),
  leg: dialLeg,
});

/** At the after-hours emergency menu the caller pressed 1: the on-call phone is rung. */
export const EmergencyEscalated = z.object({
  callSid: z.string(),
  onCallPhone: e164,
});

/**
 * At the after-hours emergency menu the caller pressed another key or nothing (`digits` null):
 * the call continues as after hours (notice, text, owner alert).
 */
export const EmergencyDeclined = z.object({
  callSid: z.string(),
  digits: z.string().nullable(),
});

/**
 * The call-screening whisper on the owner's (or on-call) leg was answered: `accepted` when
 * the person pressed 1. Without a key press the call counts as not answered (a voicemail
 * cannot press 1).
 */
export const CallScreened = z.object({
  callSid: z.string(),
  leg: z.enum(['owner', 'on-call']),
  accepted: z.boolean(),
  digits: z.string().nullable(),
});

/**
 * After the missed-call message the caller left a voicemail (`<Record>`'s
 * `recordingStatusCallback`, `RecordingStatus` completed). `recordingUrl` is Twilio's URL of
 * the recording (it needs the account's credentials: the dashboard plays it through
 * `/api/v1/leads/{phone}/voicemails/{recordingSid}`). Keyed by `RecordingSid`.
 */
export const VoicemailRecorded = z.object({
  callSid: z.string(),
  recordingSid: z.string(),
  recordingUrl: z.string(),
  durationSeconds: z.number().int().nonnegative().nullable(),
});

/**
 * Twilio's transcription of a voicemail arrived (`transcribeCallback`): `completed` with its
 * text, or `failed` (text null). Keyed by `TranscriptionSid`.
 */
export const VoicemailTranscribed = z.object({
  callSid: z.string(),
  recordingSid: z.string(),
  transcriptionSid: z.string(),
  status: z.enum(['completed', 'failed']),
  text: z.string().nullable(),
});

/** Fields of `SmsInbound` that every schema version has. */
const smsInboundCommon = {
  messageSid: z.string(),
  from: e164,
  to: e164,
  body: z.string(),
  keyword: z.enum(['opt-out', 'opt-in', 'help']).nullable(),
  /** Twilio Advanced Opt-Out's `OptOutType` (STOP / START / HELP): Twilio has already replied. */
  optOutType: z.string().nullable().default(null),
  /** An automatic reply (driving mode, out of office): recorded, never answered. */
  autoReply: z.boolean().default(false),
  /** Heading of the owner alert (`rules/urgency.ts`), decided when the text arrived. */
  urgency: z.enum(['EMERGENCY', 'STANDARD']).default('STANDARD'),
};

/**
 * One attachment of an inbound text (MMS), from Twilio's `MediaUrl{N}` and
 * `MediaContentType{N}` webhook parameters (N from 0 to `NumMedia` - 1). `contentType` is
 * the MIME type (`image/jpeg`, `video/mp4` …), null when unknown (texts recorded before
 * version 2 of `SmsInbound`).
 */
export const smsMediaSchema = z.object({
  url: z.string(),
  contentType: z.string().nullable(),
});

/**
 * `SmsInbound` as recorded up to schema version 1: the attachments as `numMedia` (Twilio's
 * `NumMedia`) and `mediaUrls` (its `MediaUrl{N}`), without their types. Never written any
 * more; read back through `events/upcasters.ts`, which turns it into the current version.
 */
export const SmsInboundV1 = z.object({
  ...smsInboundCommon,
  numMedia: z.number().int().nonnegative(),
  mediaUrls: z.array(z.string()),
});

/**
 * A text arrived on the tenant's number (`POST /twilio/sms`). `keyword` is the
 * carrier keyword family the whole message matched, if any. Schema version 2: `media` lists
 * the attachments with their MIME types (version 1 had `numMedia` and `mediaUrls`, see
 * {@link SmsInboundV1}).
 */
export const SmsInbound = z.object({
  ...smsInboundCommon,
  /** Attachments (MMS) in Twilio's order; empty for a plain text. */
  media: z.array(smsMediaSchema),
});

/**
 * After a job, the owner asked the customer for a review (`POST /api/v1/review-requests` or
 * `leadline reviews request`). The customer's next reply within 7 days that reads as good
 * or bad answers it.
 */
export const ReviewRequested = z.object({
  requestId: z.string(),
  phone: e164,
  requestedBy: z.enum(['api', 'cli']),
  /** What the job was, for the owner's own records; never sent. */
  note: z.string().nullable(),
});

/**
 * The owner moved a lead along (dashboard or API): `contacted` (called back), `booked` (a job
 * is scheduled: an existing business relationship from now on), or `lost`.
 */
export const LeadStatusChanged = z.object({
  phone: e164,
  status: z.enum(['contacted', 'booked', 'lost']),
  /** The API key id (or `cli`) that made the change. */
  changedBy: z.string(),
  note: z.string().nullable().default(null),
});

/**
 * A person of the business answered a lead, from the business number: by texting the
 * business number from a staff phone (`relay`, relayed to the lead named by its `#code` or
 * the lead of the latest alert to that phone) or from the dashboard / API (`dashboard`).
 * `replyId` names the reply (the staff text's `MessageSid`, or the API's idempotency key);
 * `author` is the staff phone (E.164) or the API key id; `body` is what the lead is sent.
 * From then on automatic texts to the lead stop (human takeover) until the conversation is
 * quiet for the tenant's `takeoverQuietHours` or automation is resumed.
 */
export const StaffReplied = z.object({
  replyId: z.string(),
  channel: z.enum(['relay', 'dashboard']),
  author: z.string(),
  /** The staff phone that wrote it (relay), so a refusal can be explained to it; else null. */
  authorPhone: e164.nullable(),
  body: z.string().min(1).max(1600),
});

/**
 * A staff phone texted the business number and the text could not be relayed to a lead:
 * no `#code` and no alert sent to that phone in the last 24 h (`no-recent-alert`), a code no
 * lead has (`unknown-code`), one several leads share (`ambiguous-code`), or a code with
 * nothing after it (`empty-message`), or a carrier keyword (STOP, HELP, START …: Twilio and
 * the carriers act on those; never relayed, never answered: `carrier-keyword`). Recorded in the
 * staff phone's stream (`staff:<tenantId>:<E.164>`); the staff member gets one help text.
 */
export const StaffTextUnrouted = z.object({
  messageSid: z.string(),
  from: e164,
  reason: z.enum([
    'no-recent-alert',
    'unknown-code',
    'ambiguous-code',
    'empty-message',
    'carrier-keyword',
  ]),
  code: z.string().nullable(),
});

/**
 * A staff member asked to call a lead back through the business number
 * (`POST /api/v1/leads/{phone}/call`): Twilio rings `staffPhone` first, then connects the
 * lead with the business number as caller ID. Counts as a human takeover, like a reply.
 * `callbackId` derives from the tenant and the request's idempotency key.
 */
export const CallBackRequested = z.object({
  callbackId: z.string(),
  staffPhone: e164,
  /** The API key id that asked. */
  requestedBy: z.string(),
});

/** Twilio accepted the call-back (Calls API): `callSid` is the call to the staff phone. */
export const CallBackPlaced = z.object({
  callbackId: z.string(),
  callSid: z.string(),
  staffPhone: e164,
});

/**
 * The call-back was not placed: `dry-run` (no Twilio credentials), `refused` (Twilio
 * answered 4xx), `unreachable` (Twilio could not be reached, every attempt), or `uncertain`
 * (the request may have reached Twilio but no answer came: never placed twice, so not again).
 */
export const CallBackFailed = z.object({
  callbackId: z.string(),
  staffPhone: e164,
  reason: z.enum(['dry-run', 'refused', 'unreachable', 'uncertain']),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
});

/**
 * An operator or the owner handed a lead's conversation back to automation
 * (`leadline conversations resume`): acknowledgements and other automatic texts go again.
 */
export const AutomationResumed = z.object({
  phone: e164,
  resumedBy: z.string(),
});

/**
 * The number gave consent to receive texts from the tenant, on `basis`: `express` (START /
 * YES, a signed form, an import with evidence), `implied-inquiry` (the person called or
 * texted: CASL s.10(10)(b), 6 months, recorded with each call and text) or
 * `implied-business-relationship` (a job done or quoted: s.10(10)(a), 2 years). `evidence`
 * names what proves it (CallSid, MessageSid, form id, importer).
 */
export const ConsentGranted = z.object({
  phone: e164,
  basis: z.enum(['express', 'implied-inquiry', 'implied-business-relationship']),
  source: z.enum(['keyword', 'form', 'import', 'call', 'sms', 'owner']),
  evidence: z.record(z.string(), z.string()),
  /** UTC ISO-8601, or null for consent that lasts until revoked. */
  expiresAt: z.string().nullable(),
});

/** The number withdrew consent; effective at once. */
export const ConsentRevoked = z.object({
  phone: e164,
  channel: z.enum([
    'keyword',
    'reasonable-means',
    'one-click-link',
    'carrier-error-21610',
    'owner',
    'import',
  ]),
  /** The exact text received, for keyword and reasonable-means revocations. */
  text: z.string().nullable(),
  evidence: z.record(z.string(), z.string()),
});

const outboundCommon = {
  outboxId: z.string(),
  dedupeKey: z.string(),
  purpose: z.string(),
  audience: z.enum(['lead', 'owner']),
  to: e164,
  from: e164,
  body: z.string(),
};

/** Twilio accepted an outbound text (`MessageSid` assigned). */
export const OutboundSmsSent = z.object({
  ...outboundCommon,
  messageSid: z.string(),
  status: z.string(),
  attempts: z.number().int().positive(),
});

/**
 * An outbound text was deliberately not sent, and never will be: dry-run, revoked consent,
 * no valid consent on the ledger for a non-transactional text, over quota, or too late.
 */
export const OutboundSmsWithheld = z.object({
  ...outboundCommon,
  /**
   * `expired`: past its deadline (an opt-out confirmation more than 5 minutes late), so not
   * sent at all.
   */
  reason: z.enum(['dry-run', 'consent-revoked', 'no-valid-consent', 'quota-exceeded', 'expired']),
  /** Why, for people (e.g. the consent ledger's verdict: `implied-inquiry consent expired …`). */
  detail: z.string().nullable().default(null),
});

/**
 * A solicitation to a customer (a review request) waits for daytime: it was due during quiet
 * hours in the customer's zone(s) and will be sent at `until` (UTC ISO-8601), consent
 * permitting then.
 */
export const OutboundSmsDeferred = z.object({
  ...outboundCommon,
  reason: z.literal('quiet-hours'),
  until: z.string(),
  /** The customer's zones, from the number's area code, else the tenant's. */
  timezones: z.array(z.string()),
});

/** Twilio refused an outbound text, or every attempt failed. */
export const OutboundSmsFailed = z.object({
  ...outboundCommon,
  errorCode: z.string().nullable(),
  errorMessage: z.string(),
  attempts: z.number().int().positive(),
});

/** Twilio's status callback reported a new `MessageStatus` for one of our texts. */
export const OutboundSmsStatusUpdated = z.object({
  /** Our outbox id (from the callback URL), when known. */
  outboxId: z.string().nullable().default(null),
  messageSid: z.string(),
  status: z.string(),
  errorCode: z.string().nullable(),
  /** Who the text was for and why, copied from the outbox when the callback was recorded. */
  audience: z.enum(['lead', 'owner']).nullable().default(null),
  purpose: z.string().nullable().default(null),
});

/**
 * A tenant reached its daily cap of texts to `audience` (tenant-local `day`, YYYY-MM-DD):
 * further such texts that day are withheld. Recorded once per tenant, day and audience.
 */
export const QuotaExceeded = z.object({
  day: z.string(),
  audience: z.enum(['lead', 'owner']),
  limit: z.number().int().nonnegative(),
});

/**
 * A durable timer a processor set fell due (`processors/timers`): `kind` says what it was
 * for, `key` which thing (a batch of owner alerts, a call). Appended by the timer runner to
 * the stream the timer belongs to; the processor decides from it, so replays see the same.
 */
export const TimerElapsed = z.object({
  timerId: z.string(),
  kind: z.enum([
    'owner-alert-batch',
    'emergency-menu-timeout',
    'missed-call-text',
    'voicemail-wait',
  ]),
  key: z.string(),
  /** When it was due (UTC ISO-8601). */
  dueAt: z.string(),
});

/** A webhook was refused before it could become a lead (bad signature, unknown number). */
export const WebhookRejected = z.object({
  route: z.string(),
  reason: z.enum(['missing-signature', 'invalid-signature', 'unknown-number']),
  /** The number that was called or texted (a business number, not a person's). */
  to: z.string().nullable(),
  sid: z.string().nullable(),
});

const topics = z.array(z.enum(QUESTION_TOPICS));

/**
 * A qualification engine read a lead's conversation, after the lead's text `requestId`
 * (its `MessageSid`). Recorded before anything is sent on it, so processors decide from this
 * and never ask an engine again: a replay gives the same decisions without a model. `engine`
 * is the one that answered; with `fallback`, the language model failed (`timeout`,
 * `provider-error`, `invalid-output`) and the deterministic engine answered instead.
 * `latencyMs` is the whole assessment (the model's try included); `tokens` as the provider
 * counted them (null for the deterministic engine). `learned`: topics this text made known.
 */
export const QualificationAssessed = z.object({
  requestId: z.string(),
  engine: z.enum(['deterministic', 'language-model']),
  model: z.string().max(200).nullable(),
  promptVersion: z.string().max(100),
  fields: qualificationFieldsSchema,
  confidence: z.number().min(0).max(1),
  missing: topics,
  learned: topics,
  fallback: z
    .object({
      reason: z.enum(['timeout', 'provider-error', 'invalid-output']),
      detail: z.string().max(500),
    })
    .nullable(),
  latencyMs: z.number().nonnegative(),
  tokens: z
    .object({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() })
    .nullable(),
});

/**
 * The lead is qualified: what the business needs before calling back, as far as the
 * conversation told it (`missing`: what it did not). Appended with the assessment that
 * settled it: nothing missing, the tenant's question budget spent, or an emergency (no
 * questions then). `outsideArea`: the postal code lies outside the tenant's service area.
 */
export const LeadQualified = qualificationFieldsSchema.extend({
  requestId: z.string(),
  confidence: z.number().min(0).max(1),
  missing: topics,
  outsideArea: z.boolean(),
});

/**
 * The assistant gave up reading the lead's text `requestId`: its assessors died or hung again
 * and again (a poison text, or a broken engine). The lead is acknowledged instead, so a
 * customer never waits on a reading that will not come.
 */
export const QualificationFailed = z.object({
  requestId: z.string(),
  reason: z.string().max(500),
});

/** Every event type by name, each with the schema of its current version ({@link schemaVersions}). */
export const eventSchemas = {
  TenantRegistered,
  TenantConfigured,
  CallReceived,
  WithheldCallReceived,
  DialAnswered,
  DialMissed,
  EmergencyEscalated,
  EmergencyDeclined,
  CallScreened,
  VoicemailRecorded,
  VoicemailTranscribed,
  SmsInbound,
  QualificationAssessed,
  LeadQualified,
  QualificationFailed,
  ReviewRequested,
  LeadStatusChanged,
  StaffReplied,
  StaffTextUnrouted,
  AutomationResumed,
  CallBackRequested,
  CallBackPlaced,
  CallBackFailed,
  ConsentGranted,
  ConsentRevoked,
  OutboundSmsSent,
  OutboundSmsWithheld,
  OutboundSmsDeferred,
  OutboundSmsFailed,
  OutboundSmsStatusUpdated,
  QuotaExceeded,
  TimerElapsed,
  WebhookRejected,
} as const;

/** Name of an event type in the catalogue. */
export type EventType = keyof typeof eventSchemas;

/** The `data` of an event of type `T`. */
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;

/** A catalogue event in its envelope, discriminated by `type`. */
export type LeadlineEvent = {
  [T in EventType]: EventEnvelope<T, EventData<T>>;
}[EventType];

/** A catalogue event read back from a log. */
export type RecordedLeadlineEvent = {
  [T in EventType]: RecordedEvent<T, EventData<T>>;
}[EventType];

/**
 * The current schema version of each event type: what `newEvent` stamps on every event it
 * builds, and what readers of the log see after upcasting (`events/upcasters.ts`). Raise a
 * type's version only together with an upcaster from the previous one; never change the
 * shape of a version once events of it may be in a log.
 *
 * - `SmsInbound` 2: `media: [{ url, contentType }]` replaces `numMedia` and `mediaUrls`.
 */
export const schemaVersions: Record<EventType, number> = {
  TenantRegistered: 1,
  TenantConfigured: 1,
  CallReceived: 1,
  WithheldCallReceived: 1,
  DialAnswered: 1,
  DialMissed: 1,
  EmergencyEscalated: 1,
  EmergencyDeclined: 1,
  CallScreened: 1,
  VoicemailRecorded: 1,
  VoicemailTranscribed: 1,
  SmsInbound: 2,
  QualificationAssessed: 1,
  LeadQualified: 1,
  QualificationFailed: 1,
  ReviewRequested: 1,
  LeadStatusChanged: 1,
  StaffReplied: 1,
  StaffTextUnrouted: 1,
  AutomationResumed: 1,
  CallBackRequested: 1,
  CallBackPlaced: 1,
  CallBackFailed: 1,
  ConsentGranted: 1,
  ConsentRevoked: 1,
  OutboundSmsSent: 1,
  OutboundSmsWithheld: 1,
  OutboundSmsDeferred: 1,
  OutboundSmsFailed: 1,
  OutboundSmsStatusUpdated: 1,
  QuotaExceeded: 1,
  TimerElapsed: 1,
  WebhookRejected: 1,
};

/**
 * The newest schema version of any event type (the largest of {@link schemaVersions}): an
 * event with a higher version was certainly written by a newer Leadline. Versions are per
 * type: check one event with `schemaVersions[type]`, or read it through `upcast`.
 */
export const CURRENT_SCHEMA_VERSION = Math.max(...Object.values(schemaVersions));

/** True when `type` is an event type of the catalogue. */
export const isEventType = (type: string): type is EventType =>
  Object.prototype.hasOwnProperty.call(eventSchemas, type);

/**
 * Validates an event's `data` against the schema of its type's current version.
 * @throws Error naming the type and the failing field when the data does not match,
 *   or when the type is not in the catalogue.
 */
export function validateEventData<T extends string>(type: T, data: unknown): unknown {
  const schema = isEventType(type) ? (eventSchemas[type] as z.ZodType) : undefined;
  if (!schema) throw new Error(`Unknown event type "${type}"`);
  const result = schema.safeParse(data);
  if (!result.success) {
    throw new Error(`Invalid ${type} data: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
