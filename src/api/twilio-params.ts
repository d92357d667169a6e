import { z } from 'zod';
import { DIAL_CALL_STATUSES } from '../commands/receive-dial-result.ts';

/**
 * Twilio's webhook parameters we read, by Twilio's own names (Twilio docs: "TwiML Voice
 * webhooks", "<Dial> action", "Messaging webhooks"). Unknown parameters are kept for the
 * signature check but ignored here.
 */
const sid = (prefix: string, name: string) =>
  z.string({ message: `${name} is required` }).regex(new RegExp(`^${prefix}[0-9a-zA-Z]{8,}$`), {
    message: `${name} must look like ${prefix}…`,
  });
const required = (name: string) =>
  z.string({ message: `${name} is required` }).min(1, `${name} is required`);

/** `POST /twilio/voice`. */
export const voiceParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  From: required('From'),
  To: required('To'),
  CallStatus: z.string().default('ringing'),
});

/** `POST /twilio/voice/status`, the `<Dial action>` callback. */
export const dialActionParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  From: required('From'),
  To: required('To'),
  DialCallStatus: z.enum(DIAL_CALL_STATUSES, {
    message: `DialCallStatus must be one of ${DIAL_CALL_STATUSES.join(', ')}`,
  }),
  DialCallSid: z.string().optional(),
  DialCallDuration: z.coerce.number<string | undefined>().int().nonnegative().optional(),
});

/**
 * `POST /twilio/voice/emergency` and `/twilio/voice/screen/result`, `<Gather action>`
 * callbacks: `Digits` is empty or absent when no key was pressed (`actionOnEmptyResult`).
 * On the whisper's leg `CallSid` is the child call's; the parent's is in our URL.
 */
export const gatherParams = z.object({
  CallSid: sid('CA', 'CallSid'),
  From: z.string().default(''),
  Digits: z
    .string()
    .optional()
    .transform((d) => (d ? d : null)),
});

/**
 * `POST /twilio/sms`. `SmsSid` is the legacy name of `MessageSid`. Attachments (MMS) come as
 * `NumMedia` and, for each N from 0 to `NumMedia` - 1, `MediaUrl{N}` and
 * `MediaContentType{N}` (the MIME type); they become `media: [{ url, contentType }]` in
 * Twilio's order (an index without a URL is skipped; a missing type is null).
 */
export const smsParams = z
  .object({
    MessageSid: z.string().optional(),
    SmsSid: z.string().optional(),
    From: required('From'),
    To: required('To'),
    Body: z.string().default(''),
    NumMedia: z.coerce.number<string | undefined>().int().nonnegative().default(0),
    OptOutType: z.string().optional(),
  })
  .catchall(z.unknown())
  .transform((p, ctx) => {
    const messageSid = p.MessageSid ?? p.SmsSid;
    if (!messageSid || !/^(SM|MM)[0-9a-zA-Z]{8,}$/.test(messageSid)) {
      ctx.addIssue({
        code: 'custom',
        message: 'MessageSid is required and must look like SM… or MM…',
      });
      return z.NEVER;
    }
    const media = Array.from({ length: p.NumMedia }, (_, i) => ({
      url: p[`MediaUrl${i}`],
      contentType: p[`MediaContentType${i}`],
    }))
      .filter((m): m is { url: string; contentType: unknown } => typeof m.url === 'string')
      .map((m) => ({
        url: m.url,
        contentType: typeof m.contentType === 'string' && m.contentType ? m.contentType : null,
      }));
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
  MessageStatus: required('MessageStatus'),
  ErrorCode: z.string().optional(),
});
