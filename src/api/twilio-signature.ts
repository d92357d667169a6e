import type { FastifyRequest } from 'fastify';
import twilio from 'twilio';

/** Outcome of checking `X-Twilio-Signature`. */
export type SignatureCheck = 'valid' | 'missing-signature' | 'invalid-signature';

/**
 * Checks `X-Twilio-Signature` with Twilio's own `validateRequest`: HMAC-SHA1, keyed by the
 * auth token, over the full URL Twilio called (`publicBaseUrl` + path and query) followed by
 * the sorted POST parameters. Never switched off.
 * Source: Twilio, "Webhooks security" (validating signatures from Twilio).
 */
export function checkTwilioSignature(
  request: FastifyRequest,
  authToken: string,
  publicBaseUrl: string,
): SignatureCheck {
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '') return 'missing-signature';
  const url = publicBaseUrl + request.url;
  const params = (request.body ?? {}) as Record<string, string>;
  return twilio.validateRequest(authToken, signature, url, params) ? 'valid' : 'invalid-signature';
}
