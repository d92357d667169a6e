import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { z } from 'zod';
import { receiveCall } from '../commands/receive-call.ts';
import { receiveDialResult } from '../commands/receive-dial-result.ts';
import { receiveSms } from '../commands/receive-sms.ts';
import { recordSmsStatus } from '../commands/record-sms-status.ts';
import { rejectWebhook } from '../commands/reject-webhook.ts';
import type { EventLog } from '../log/event-log.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import type { Clock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { tryE164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { callPeriod } from '../tenants/schedule.ts';
import {
  afterHoursTwiml,
  emptyTwiml,
  missedCallTwiml,
  notInServiceTwiml,
  ringOwnerTwiml,
} from '../rules/voice-responses.ts';
import { dialActionParams, smsParams, smsStatusParams, voiceParams } from './twilio-params.ts';
import { checkTwilioSignature, sendTwiml } from './twilio-signature.ts';

/** What the webhook routes need. */
export interface TwilioWebhookDeps {
  log: EventLog;
  db: pg.Pool;
  clock: Clock;
  /** Token that signs webhooks (`TWILIO_AUTH_TOKEN` or the local one). */
  authToken: string;
  /** What Twilio calls, without trailing slash; signatures are computed over it. */
  publicBaseUrl: string;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((i) => i.message).join('; '),
      'INVALID_WEBHOOK',
    );
  }
  return result.data;
}

/**
 * Twilio's webhooks (design §10): `POST /twilio/voice`, `/twilio/voice/status` (the `<Dial>`
 * action callback), `/twilio/sms` and `/twilio/sms/status`. Every request must carry a valid
 * `X-Twilio-Signature`; a missing or wrong one gets 403 and records only `WebhookRejected`.
 * A `To` no tenant owns records only `WebhookRejected` (voice hears "not in service", SMS
 * gets an empty response). Retries are harmless: every event id derives from the Sid.
 */
export async function twilioWebhooks(app: FastifyInstance, deps: TwilioWebhookDeps): Promise<void> {
  const commandDeps = (request: FastifyRequest) => ({
    log: deps.log,
    clock: deps.clock,
    traceparent: (request.headers.traceparent as string | undefined) ?? null,
  });
  const reject = (
    request: FastifyRequest,
    reason: 'missing-signature' | 'invalid-signature' | 'unknown-number',
  ) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const sid = [body.CallSid, body.MessageSid, body.SmsSid].find((v) => typeof v === 'string');
    const to = typeof body.To === 'string' ? body.To : null;
    return rejectWebhook(
      { route: request.routeOptions.url ?? request.url, reason, to, sid: (sid as string) ?? null },
      { ...commandDeps(request), uniqueId: randomId },
    );
  };

  app.addHook('preHandler', async (request, reply) => {
    const check = checkTwilioSignature(request, deps.authToken, deps.publicBaseUrl);
    if (check === 'valid') return;
    request.log.warn({ reason: check, url: request.url }, 'webhook signature rejected');
    await reject(request, check);
    return reply
      .code(403)
      .type('text/plain')
      .send(
        check === 'missing-signature'
          ? 'Forbidden: X-Twilio-Signature header is missing'
          : 'Forbidden: X-Twilio-Signature does not match this request',
      );
  });

  /** The tenant owning `to`, or undefined after recording the rejection. */
  async function tenantFor(request: FastifyRequest, to: string): Promise<Tenant | undefined> {
    const number = tryE164(to);
    const tenant = number ? await tenantDirectory.findByNumber(deps.db, number) : undefined;
    if (!tenant) {
      request.log.warn({ to }, 'webhook for a number no tenant owns');
      await reject(request, 'unknown-number');
    }
    return tenant;
  }

  app.post('/voice', async (request, reply) => {
    const params = parse(voiceParams, request.body);
    const tenant = await tenantFor(request, params.To);
    if (!tenant) return sendTwiml(reply, notInServiceTwiml());
    // The Dial action carries the tenant and the call it belongs to (signed with the rest of
    // the URL), so the callback is matched by CallSid and tenant, never guessed from `To`.
    const dialActionUrl =
      `${deps.publicBaseUrl}/twilio/voice/status?tenantId=${encodeURIComponent(tenant.tenantId)}` +
      `&callSid=${encodeURIComponent(params.CallSid)}`;
    const from = tryE164(params.From);
    if (!from) {
      // Withheld caller ID ("Anonymous"): answered like any call (ring in business hours, the
      // after-hours notice otherwise), but there is no one to text, so nothing is recorded.
      request.log.info({ callSid: params.CallSid }, 'call from a withheld number');
      const open = callPeriod(tenant, deps.clock.now()) !== 'after-hours';
      return sendTwiml(
        reply,
        open ? ringOwnerTwiml(tenant, dialActionUrl) : afterHoursTwiml(tenant),
      );
    }
    const twiml = await receiveCall(
      tenant,
      { callSid: params.CallSid, from, to: tenant.twilioNumber, callStatus: params.CallStatus },
      { ...commandDeps(request), dialActionUrl, db: deps.db },
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/voice/status', async (request, reply) => {
    const params = parse(dialActionParams, request.body);
    const query = request.query as { tenantId?: string; callSid?: string };
    if (!query.tenantId || !query.callSid) {
      throw new ValidationError(
        'the Dial action URL must carry tenantId and callSid (Leadline sets them in the TwiML it returns)',
        'INVALID_WEBHOOK',
      );
    }
    if (query.callSid !== params.CallSid) {
      throw new ValidationError(
        `Dial action for CallSid ${params.CallSid} arrived on the URL of ${query.callSid}`,
        'INVALID_WEBHOOK',
      );
    }
    const tenant = await tenantDirectory.get(deps.db, query.tenantId);
    if (!tenant) {
      await reject(request, 'unknown-number');
      return sendTwiml(reply, notInServiceTwiml());
    }
    const from = tryE164(params.From);
    if (!from) return sendTwiml(reply, missedCallTwiml(tenant));
    const twiml = await receiveDialResult(
      tenant,
      {
        callSid: params.CallSid,
        from,
        dialCallStatus: params.DialCallStatus,
        dialCallSid: params.DialCallSid ?? null,
        dialCallDurationSeconds: params.DialCallDuration ?? null,
      },
      commandDeps(request),
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/sms', async (request, reply) => {
    const sms = parse(smsParams, request.body);
    const tenant = await tenantFor(request, sms.to);
    if (!tenant) return sendTwiml(reply, emptyTwiml());
    const from = tryE164(sms.from);
    if (!from)
      throw new ValidationError(`From "${sms.from}" is not a phone number`, 'INVALID_WEBHOOK');
    await receiveSms(
      tenant,
      { ...sms, from, to: tenant.twilioNumber },
      {
        ...commandDeps(request),
        db: deps.db,
      },
    );
    return sendTwiml(reply, emptyTwiml());
  });

  app.post('/sms/status', async (request, reply) => {
    const params = parse(smsStatusParams, request.body);
    const { outboxId } = request.query as { outboxId?: string };
    const found = await recordSmsStatus(
      {
        messageSid: params.MessageSid,
        status: params.MessageStatus,
        errorCode: params.ErrorCode ?? null,
        outboxId: outboxId && UUID.test(outboxId) ? outboxId : null,
      },
      { ...commandDeps(request), db: deps.db },
    );
    if (!found)
      request.log.warn({ messageSid: params.MessageSid }, 'status callback for an unknown message');
    return sendTwiml(reply, emptyTwiml());
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
