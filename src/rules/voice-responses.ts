import twilio from 'twilio';
import type { Tenant } from '../tenants/tenant.ts';

const { VoiceResponse } = twilio.twiml;

/** How long the owner's phone rings before the call counts as missed (seconds). */
export const RING_OWNER_SECONDS = 15;

const SAY = { voice: 'Polly.Joanna', language: 'en-US' } as const;

/**
 * TwiML that rings the owner for {@link RING_OWNER_SECONDS} with a `<Dial action>` callback.
 * `answerOnBridge` keeps the caller hearing ringing until the owner picks up.
 * Source: Twilio TwiML `<Dial>` (`action`, `timeout`, `answerOnBridge`).
 */
export function ringOwnerTwiml(tenant: Tenant, actionUrl: string): string {
  const response = new VoiceResponse();
  const dial = response.dial({
    timeout: RING_OWNER_SECONDS,
    action: actionUrl,
    method: 'POST',
    answerOnBridge: true,
  });
  dial.number(tenant.ownerPhone);
  return response.toString();
}

/** TwiML for a call outside business hours: a spoken notice, then hang up (the text follows). */
export function afterHoursTwiml(tenant: Tenant): string {
  const response = new VoiceResponse();
  response.say(
    SAY,
    `Thanks for calling ${tenant.name}. We're closed right now. We'll send you a text message in a moment so you can tell us what you need.`,
  );
  response.hangup();
  return response.toString();
}

/** TwiML after the owner did not answer: a short message, then hang up (the text follows). */
export function missedCallTwiml(tenant: Tenant): string {
  const response = new VoiceResponse();
  response.say(
    SAY,
    `Sorry, ${tenant.name} can't come to the phone right now. We'll text you in a moment.`,
  );
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
  const response = new VoiceResponse();
  response.say(SAY, 'Sorry, this number is not in service.');
  response.hangup();
  return response.toString();
}

/** An empty `<Response/>`: acknowledges a webhook without doing anything. */
export function emptyTwiml(): string {
  return new twilio.twiml.MessagingResponse().toString();
}
