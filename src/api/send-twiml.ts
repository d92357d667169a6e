import type { FastifyReply } from 'fastify';

/**
 * Sends `twiml` (a whole `<Response>` document, as built by the `twilio` SDK's `VoiceResponse`
 * or `MessagingResponse`) with the content type Twilio expects: `text/xml; charset=utf-8`
 * (https://www.twilio.com/docs/voice/twiml#twilio-understands-mime-types).
 */
export function sendTwiml(reply: FastifyReply, twiml: string): FastifyReply {
  return reply.type('text/xml; charset=utf-8').send(twiml);
}
