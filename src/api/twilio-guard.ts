import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../shared/logger.ts';
import { ThrottledLog } from '../shared/throttled-log.ts';
import { checkTwilioSignature, type SignatureCheck } from './twilio-signature.ts';
import { sanitizeParams } from './webhook-text.ts';

/**
 * Largest webhook body accepted (bytes). Twilio's largest real request is an inbound text:
 * 1,600 characters of `Body` (up to 4 UTF-8 bytes each, tripled by percent-encoding: 19,200
 * bytes), ten `MediaUrl{N}` / `MediaContentType{N}` pairs and some thirty other parameters;
 * 64 KiB leaves room for parameters Twilio adds. A larger body is refused with 413 before it
 * is read in full.
 */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** Why a webhook was refused before any handler ran (`leadline_webhooks_refused_total{reason}`). */
export type WebhookRefusal =
  SignatureCheck | 'wrong-account' | 'unsupported-media-type' | 'body-too-large' | 'rate-limited';

/** What {@link guardTwilioRoutes} needs. */
export interface TwilioGuardOptions {
  /** Token that signs webhooks (`TWILIO_AUTH_TOKEN` or the local one). */
  authToken: string;
  /** What Twilio calls, without trailing slash; signatures are computed over it. */
  publicBaseUrl: string;
  /** The Twilio account (`TWILIO_ACCOUNT_SID`); a signed webhook of another is refused. */
  accountSid: string | undefined;
  /** Unauthenticated requests allowed per client address per minute before 429. */
  unsignedPerMinute: number;
  logger: Logger;
  /** Counts each refusal. */
  onRefused?: (route: string, reason: WebhookRefusal) => void;
}

const checks = new WeakMap<FastifyRequest, SignatureCheck>();

/**
 * Hardens the Twilio webhook routes of the scope it is called in (design §12: only Twilio's
 * signature makes input real). In request order:
 *
 * 1. `Content-Type` must be `application/x-www-form-urlencoded`, as Twilio sends: anything
 *    else (JSON included) is 415, unread.
 * 2. Bodies over {@link WEBHOOK_BODY_LIMIT} are 413.
 * 3. Requests without a valid `X-Twilio-Signature` count against their client address
 *    (`@fastify/rate-limit`: `unsignedPerMinute` a minute, then 429 with `Retry-After`).
 *    Correctly signed requests are never counted nor limited: a flood cannot cost a lead.
 * 4. A missing or wrong signature is 403; a signed request naming another `AccountSid` than
 *    the configured account is 403 too. Nothing of a refused request is stored: it is
 *    counted (`onRefused`) and logged at most once per 10 s per reason. (Twilio puts
 *    `AccountSid` in every webhook; without a configured account, as with the local
 *    token of the embedded default, it is not checked.)
 * 5. Every parameter, of the body and of the query, is sanitised (`webhook-text.ts`: NUL,
 *    lone surrogates, length) after the signature check, which must see the values as
 *    Twilio signed them.
 */
export async function guardTwilioRoutes(
  app: FastifyInstance,
  options: TwilioGuardOptions,
): Promise<void> {
  const throttled = new ThrottledLog(options.logger);
  const refuse = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    reason: WebhookRefusal,
    message: string,
  ) => {
    const route = request.routeOptions.url ?? request.url.split('?')[0]!;
    options.onRefused?.(route, reason);
    throttled.warn(reason, { reason, route, ip: request.ip }, 'webhook refused');
    return reply.code(status).type('text/plain').send(message);
  };
  const signature = (request: FastifyRequest): SignatureCheck => {
    let check = checks.get(request);
    if (!check) {
      check = checkTwilioSignature(request, options.authToken, options.publicBaseUrl);
      checks.set(request, check);
    }
    return check;
  };

  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= WEBHOOK_BODY_LIMIT;
  });

  app.addHook('onRequest', async (request, reply) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return refuse(
        request,
        reply,
        415,
        'unsupported-media-type',
        'Unsupported Media Type: Twilio webhooks are application/x-www-form-urlencoded',
      );
    }
  });

  await app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    max: options.unsignedPerMinute,
    timeWindow: 60_000,
    allowList: (request) => signature(request) === 'valid',
    onExceeded: (request) => {
      const route = request.routeOptions.url ?? request.url.split('?')[0]!;
      options.onRefused?.(route, 'rate-limited');
      throttled.warn('rate-limited', { route, ip: request.ip }, 'unsigned webhooks rate-limited');
    },
  });

  app.addHook('preHandler', async (request, reply) => {
    const check = signature(request);
    if (check !== 'valid') {
      return refuse(
        request,
        reply,
        403,
        check,
        check === 'missing-signature'
          ? 'Forbidden: X-Twilio-Signature header is missing'
          : 'Forbidden: X-Twilio-Signature does not match this request',
      );
    }
    const params = sanitizeParams(request.body);
    const account = params.AccountSid;
    if (options.accountSid && account !== options.accountSid) {
      return refuse(
        request,
        reply,
        403,
        'wrong-account',
        'Forbidden: this webhook is for another Twilio account',
      );
    }
    request.body = params;
    // The query is ours (callback URLs Leadline wrote), but signed is not the same as sane.
    request.query = sanitizeParams(request.query);
  });

  app.addHook('onError', async (request, _reply, error) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      options.onRefused?.(request.routeOptions.url ?? request.url, 'body-too-large');
      throttled.warn('body-too-large', { ip: request.ip }, 'webhook refused: body too large');
    }
  });
}
