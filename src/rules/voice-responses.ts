import twilio from 'twilio';
import type { Tenant } from '../tenants/tenant.ts';
import { voiceWords } from './message-copy.ts';

const { VoiceResponse } = twilio.twiml;

/** How long the owner's phone rings before the call counts as missed (seconds). */
export const RING_OWNER_SECONDS = 15;

/** The words and `<Say>` attributes in the tenant's language (`voiceWords`). */
const wordsOf = (tenant: Pick<Tenant, 'language'> | undefined) =>
  voiceWords[tenant?.language ?? 'en'];

/** How long the on-call phone rings after an emergency escalation (seconds). */
export const RING_ON_CALL_SECONDS = 20;

/** How long the emergency menu waits for a key (seconds). */
export const EMERGENCY_MENU_SECONDS = 8;

/**
 * TwiML that rings `phone` with a `<Dial action>` callback to `actionUrl`. `answerOnBridge`
 * keeps the caller hearing ringing until someone picks up. With `screenUrl`, the rung person
 * first hears the screening whisper (`<Number url>`, run on their leg before the bridge).
 * Source: Twilio TwiML `<Dial>` (`action`, `timeout`, `answerOnBridge`) and `<Number>` (`url`).
 */
function ringTwiml(
  response: InstanceType<typeof VoiceResponse>,
  phone: string,
  seconds: number,
  actionUrl: string,
  screenUrl: string | null,
) {
  const dial = response.dial({
    timeout: seconds,
    action: actionUrl,
    method: 'POST',
    answerOnBridge: true,
  });
  if (screenUrl) dial.number({ url: screenUrl, method: 'POST' }, phone);
  else dial.number(phone);
}

/** TwiML that rings the owner for {@link RING_OWNER_SECONDS}, screened when `screenUrl` is given. */
export function ringOwnerTwiml(
  tenant: Tenant,
  actionUrl: string,
  screenUrl: string | null = null,
): string {
  const response = new VoiceResponse();
  ringTwiml(response, tenant.ownerPhone, RING_OWNER_SECONDS, actionUrl, screenUrl);
  return response.toString();
}

/**
 * TwiML for a call after hours with emergency mode on: the closed notice and "press 1" inside
 * a one-digit `<Gather>` whose action receives the key, or an empty `Digits` when none was
 * pressed (`actionOnEmptyResult`). Source: Twilio TwiML `<Gather>` (`numDigits`, `timeout`,
 * `actionOnEmptyResult`).
 */
export function emergencyMenuTwiml(tenant: Tenant, menuActionUrl: string): string {
  const response = new VoiceResponse();
  const gather = response.gather({
    numDigits: 1,
    timeout: EMERGENCY_MENU_SECONDS,
    action: menuActionUrl,
    method: 'POST',
    actionOnEmptyResult: true,
  });
  const words = wordsOf(tenant);
  gather.say(words.say, words.emergencyMenu(tenant));
  return response.toString();
}

/** TwiML after "press 1": connects the on-call phone for {@link RING_ON_CALL_SECONDS}. */
export function connectOnCallTwiml(
  onCallPhone: string,
  actionUrl: string,
  screenUrl: string | null,
  tenant?: Pick<Tenant, 'language'>,
): string {
  const response = new VoiceResponse();
  const words = wordsOf(tenant);
  response.say(words.say, words.connectingOnCall);
  ringTwiml(response, onCallPhone, RING_ON_CALL_SECONDS, actionUrl, screenUrl);
  return response.toString();
}

/**
 * The screening whisper, played to the person rung before the caller is connected: press 1 to
 * take the call. No key (a voicemail greeting, a pocket) hangs up that leg, and the call
 * counts as not answered. Source: Twilio "call screening" with `<Number url>` and `<Gather>`.
 */
export function screeningWhisperTwiml(tenant: Tenant, resultUrl: string): string {
  const response = new VoiceResponse();
  const gather = response.gather({
    numDigits: 1,
    timeout: 5,
    action: resultUrl,
    method: 'POST',
    actionOnEmptyResult: true,
  });
  gather.say(wordsOf(tenant).say, wordsOf(tenant).screening(tenant));
  return response.toString();
}

/** TwiML ending the whisper: empty to connect the call (a key was pressed), else hang up. */
export function screeningResultTwiml(accepted: boolean): string {
  const response = new VoiceResponse();
  if (!accepted) response.hangup();
  return response.toString();
}

/** TwiML for a call outside business hours: a spoken notice, then hang up (the text follows). */
export function afterHoursTwiml(tenant: Tenant): string {
  return sayThenHangUp(afterHoursWords(tenant), tenant);
}

/** TwiML when the caller did not press 1 at the emergency menu: goodbye (the text follows). */
export function afterHoursGoodbyeTwiml(tenant: Tenant): string {
  return sayThenHangUp(wordsOf(tenant).afterHoursGoodbye(tenant), tenant);
}

/** TwiML when the on-call phone did not answer either: an apology; the owner is alerted. */
export function onCallMissedTwiml(tenant: Tenant): string {
  return sayThenHangUp(wordsOf(tenant).onCallMissed(tenant), tenant);
}

/** TwiML after the owner did not answer: a short message, then hang up (the text follows). */
export function missedCallTwiml(tenant: Tenant): string {
  return sayThenHangUp(missedCallWords(tenant), tenant);
}

/**
 * TwiML after hours for a caller without a caller ID: no text can follow, so ask them to
 * call back (or, once voicemail is on, leave a message).
 */
export function afterHoursWithheldTwiml(tenant: Tenant): string {
  return sayThenHangUp(wordsOf(tenant).afterHoursWithheld(tenant), tenant);
}

/** TwiML when the owner missed a caller without a caller ID: nothing can be texted. */
export function missedWithheldTwiml(tenant: Tenant): string {
  return sayThenHangUp(wordsOf(tenant).missedWithheld(tenant), tenant);
}

/**
 * TwiML for the owner (or another staff phone that rings the owner's own) calling the
 * business number: a reminder of how to reach leads through it, then hang up.
 */
export function staffCallTwiml(tenant: Tenant): string {
  return sayThenHangUp(wordsOf(tenant).staffCall(tenant), tenant);
}

/** How long the lead's phone rings on a call-back before Twilio gives up (seconds). */
export const CALL_BACK_RING_SECONDS = 30;

/** How long the call-back's whisper waits for the staff member's key (seconds). */
export const CALL_BACK_WHISPER_SECONDS = 10;

/**
 * TwiML of a call-back on the staff member's leg once it answers: "press 1 to call your
 * customer" (`<Gather numDigits=1 action=connectUrl>`). Only a key press dials the lead, so
 * the staff member's voicemail can never pick up and connect a customer to a greeting. No
 * key: goodbye.
 */
export function callBackWhisperTwiml(
  connectUrl: string,
  tenant?: Pick<Tenant, 'language'>,
): string {
  const response = new VoiceResponse();
  const words = wordsOf(tenant);
  response
    .gather({
      numDigits: 1,
      timeout: CALL_BACK_WHISPER_SECONDS,
      action: connectUrl,
      method: 'POST',
      actionOnEmptyResult: true,
    })
    .say(words.say, words.callBackWhisper);
  response.say(words.say, words.noKey);
  response.hangup();
  return response.toString();
}

/**
 * TwiML once the staff member pressed 1: dial the lead with the business number as caller
 * ID, so the customer sees the number they called (Twilio TwiML `<Dial callerId>`,
 * `<Number>`).
 */
export function callBackDialTwiml(tenant: Tenant, leadPhone: string): string {
  const response = new VoiceResponse();
  response.say(wordsOf(tenant).say, wordsOf(tenant).connecting);
  response
    .dial({ callerId: tenant.twilioNumber, timeout: CALL_BACK_RING_SECONDS })
    .number(leadPhone);
  return response.toString();
}

/** Longest voicemail (seconds); Twilio transcribes recordings of up to 2 minutes. */
export const VOICEMAIL_MAX_SECONDS = 120;

/**
 * `spoken`, then a voicemail: "leave a message after the tone, or hang up and we'll text
 * you", `<Record>` with Twilio's transcription (`transcribe`, `transcribeCallback`), the
 * `recordingStatusCallback` for the recording, and `action` for when it ends (Twilio TwiML
 * `<Record>`: `maxLength` 120 s, the longest it transcribes; `finishOnKey` #; 5 s of silence
 * ends it).
 */
export function withVoicemailTwiml(
  spoken: string,
  urls: { action: string; recordingStatus: string; transcription: string },
  tenant?: Pick<Tenant, 'language'>,
): string {
  const response = new VoiceResponse();
  const words = wordsOf(tenant);
  response.say(words.say, `${spoken} ${words.leaveMessage}`);
  response.record({
    action: urls.action,
    method: 'POST',
    maxLength: VOICEMAIL_MAX_SECONDS,
    timeout: 5,
    finishOnKey: '#',
    playBeep: true,
    transcribe: true,
    transcribeCallback: urls.transcription,
    recordingStatusCallback: urls.recordingStatus,
    recordingStatusCallbackMethod: 'POST',
    recordingStatusCallbackEvent: ['completed'],
  });
  response.hangup();
  return response.toString();
}

/** The words of {@link missedCallTwiml}, for a voicemail to follow. */
export const missedCallWords = (tenant: Tenant): string => wordsOf(tenant).missedCall(tenant);

/** The words of {@link afterHoursTwiml}, for a voicemail to follow. */
export const afterHoursWords = (tenant: Tenant): string => wordsOf(tenant).afterHours(tenant);

/** TwiML once a voicemail ended (`<Record action>`): thanks, then hang up. */
export function voicemailThanksTwiml(tenant?: Pick<Tenant, 'language'>): string {
  return sayThenHangUp(wordsOf(tenant).voicemailThanks, tenant);
}

/** TwiML that says `text` in the tenant's language (Amazon Polly voice), then hangs up. */
function sayThenHangUp(text: string, tenant?: Pick<Tenant, 'language'>): string {
  const response = new VoiceResponse();
  response.say(wordsOf(tenant).say, text);
  response.hangup();
  return response.toString();
}

/** TwiML that ends the call (after an answered `<Dial>`). */
export function hangupTwiml(): string {
  const response = new VoiceResponse();
  response.hangup();
  return response.toString();
}

/** TwiML for a call to a number no tenant owns. */
export function notInServiceTwiml(): string {
  return sayThenHangUp('Sorry, this number is not in service.');
}

/** An empty `<Response/>`: acknowledges a webhook without doing anything. */
export function emptyTwiml(): string {
  return new twilio.twiml.MessagingResponse().toString();
}
