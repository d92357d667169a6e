import { z } from 'zod';
import { DIAL_CALL_STATUSES } from '../commands/receive-dial-result.ts';

/**
 * Twilio's webhook parameters we read, by Twilio's own names (Twilio docs: "TwiML Voice
 * webhooks", "<Dial> action", "Messaging webhooks"). Unknown parameters are kept for the
 * signature check but ignored here. Values arrive sanitised and cut to 1,600 characters
 * (`webhook-text.ts`); every count and length used below is bounded here, never trusted.
 */
const sid = (prefix: string, name: string) =>
  z.string({ message: `${name} is required` }).regex(new RegExp(`^${prefix}[0-9a-zA-Z]{8,64}$`), {
    message: `${name} must look like ${prefix}…`,
  });
const required = (name: string) =>
  z.string({ message: `${name} is required` }).min(1, `${name} is required`);

/** A Twilio status word (`ringing`, `in-progress`, `delivered` …): lower-case letters and dashes. */
const STATUS_WORD = /^[a-z][a-z-]{0,31}$/;

/**
 * `POST /twilio/voice`. A `CallStatus` that is not a status word is recorded as `unknown`.
 * `From` may be empty or absent: a caller without caller ID is still a call
 * (`rules/caller-id.ts`).
 */
export const voiceParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  From: z.string().default(''),
  To: required('To'),
  CallStatus: z
    .string()
    .default('ringing')
    .transform((s) => (STATUS_WORD.test(s) ? s : 'unknown')),
});

/** `POST /twilio/voice/status`, the `<Dial action>` callback (`From` as for the call). */
export const dialActionParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  From: z.string().default(''),
  To: required('To'),
  DialCallStatus: z.enum(DIAL_CALL_STATUSES, {
    message: `DialCallStatus must be one of ${DIAL_CALL_STATUSES.join(', ')}`,
  }),
  DialCallSid: z.string().max(64).optional(),
  /** Seconds the bridged call lasted; at most a day (Twilio ends calls after 24 h). */
  DialCallDuration: z.coerce.number<string | undefined>().int().min(0).max(86_400).optional(),
});

/**
 * `POST /twilio/voice/emergency` and `/twilio/voice/screen/result`, `<Gather action>`
 * callbacks: `Digits` is empty or absent when no key was pressed (`actionOnEmptyResult`);
 * anything but keypad keys (at most 32) counts as no key.
 * On the whisper's leg `CallSid` is the child call's; the parent's is in our URL.
 */
export const gatherParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  From: z.string().default(''),
  Digits: z
    .string()
    .optional()
    .transform((d) => (d && /^[0-9*#]{1,32}$/.test(d) ? d : null)),
});

/**
 * Most attachments one text carries (Twilio, "Messaging webhooks": up to 10 media); the
 * `MediaUrl{N}` keys are read for N below it, whatever `NumMedia` says.
 */
export const MAX_MEDIA = 10;

/** An attachment's URL as Leadline records it: `https:` only (Twilio serves media over HTTPS). */
const mediaUrl = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  try {
    return new URL(value).protocol === 'https:' ? value : null;
  } catch {
    return null;
  }
};

/**
 * `POST /twilio/sms`. `SmsSid` is the legacy name of `MessageSid`. Attachments (MMS) become
 * `media: [{ url, contentType }]` in Twilio's order, read from the `MediaUrl{N}` and
 * `MediaContentType{N}` keys that are present for N below {@link MAX_MEDIA}: `NumMedia` is
 * not trusted (a forged count must cost nothing), a URL that is not `https:` is skipped, a
 * missing or overlong (over 255 characters) type is null.
 */
export const smsParams = z
  .object({
    MessageSid: z.string().optional(),
    SmsSid: z.string().optional(),
    From: required('From'),
    To: required('To'),
    Body: z.string().default(''),
    OptOutType: z.string().max(32).optional(),
  })
  .catchall(z.unknown())
  .transform((p, ctx) => {
    const messageSid = p.MessageSid ?? p.SmsSid;
    if (!messageSid || !/^(SM|MM)[0-9a-zA-Z]{8,64}$/.test(messageSid)) {
      ctx.addIssue({
        code: 'custom',
        message: 'MessageSid is required and must look like SM… or MM…',
      });
      return z.NEVER;
    }
    const media: Array<{ url: string; contentType: string | null }> = [];
    for (let i = 0; i < MAX_MEDIA; i++) {
      const url = mediaUrl(p[`MediaUrl${i}`]);
      if (!url) continue;
      const type = p[`MediaContentType${i}`];
      media.push({
        url,
        contentType: typeof type === 'string' && type && type.length <= 255 ? type : null,
      });
    }
    return {
      messageSid,
      from: p.From,
      to: p.To,
      body: p.Body,
      media,
      optOutType: p.OptOutType ?? null,
    };
  });

/** `POST /twilio/sms/status`, the message status callback. */
export const smsStatusParams = z.object({
  MessageSid: sid('(SM|MM)', 'MessageSid'),
  MessageStatus: z
    .string({ message: 'MessageStatus is required' })
    .regex(STATUS_WORD, 'MessageStatus must be a Twilio status word'),
  ErrorCode: z
    .string()
    .regex(/^\d{1,6}$/, 'ErrorCode must be a Twilio error code')
    .optional()
    .or(z.literal('').transform(() => undefined)),
});

/** `POST /twilio/voice/recorded`, the `<Record action>` once a voicemail ends. */
export const recordActionParams = z.object({ CallSid: sid('CA', 'CallSid') });

/**
 * `POST /twilio/voice/recording`, `<Record>`'s `recordingStatusCallback` (Twilio docs:
 * "recordingStatusCallback"): the recording's SID and `https:` URL, its status and length in
 * seconds (at most a day).
 */
export const recordingStatusParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  RecordingSid: sid('RE', 'RecordingSid'),
  RecordingUrl: z
    .string({ message: 'RecordingUrl is required' })
    .max(500)
    .regex(/^https:\/\/[^\s]+$/, 'RecordingUrl must be an https URL'),
  RecordingStatus: z.string().max(32).default('completed'),
  RecordingDuration: z.coerce.number<string | undefined>().int().min(0).max(86_400).optional(),
});

/**
 * `POST /twilio/voice/transcription`, `<Record transcribeCallback>` (Twilio docs: "Record,
 * transcribeCallback"): `TranscriptionStatus` completed or failed, and the text (cut to 1,600
 * characters at the boundary like every value).
 */
export const transcriptionParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  RecordingSid: sid('RE', 'RecordingSid'),
  TranscriptionSid: sid('TR', 'TranscriptionSid'),
  TranscriptionStatus: z.string().max(32),
  TranscriptionText: z.string().optional(),
});
