import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { z } from 'zod';
import { receiveCall } from '../commands/receive-call.ts';
import { recordedAnswer } from '../commands/call-steps.ts';
import { receiveDialResult } from '../commands/receive-dial-result.ts';
import { receiveEmergencyChoice, receiveScreening } from '../commands/receive-voice-menus.ts';
import { receiveSms } from '../commands/receive-sms.ts';
import { recordSmsStatus } from '../commands/record-sms-status.ts';
import { rejectWebhook } from '../commands/reject-webhook.ts';
import type { EventLog } from '../log/event-log.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import type { Clock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { randomId } from '../shared/ids.ts';
import { activeTraceparent } from '../telemetry/trace-context.ts';
import { tryE164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { callPeriod } from '../tenants/schedule.ts';
import {
  afterHoursTwiml,
  emptyTwiml,
  hangupTwiml,
  missedCallTwiml,
  notInServiceTwiml,
  ringOwnerTwiml,
  screeningResultTwiml,
  screeningWhisperTwiml,
} from '../rules/voice-responses.ts';
import {
  dialActionParams,
  gatherParams,
  smsParams,
  smsStatusParams,
  voiceParams,
} from './twilio-params.ts';
import { voiceUrls } from './voice-urls.ts';
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
 * action callback), `/twilio/voice/emergency` (the after-hours emergency menu's key),
 * `/twilio/voice/screen` and `/twilio/voice/screen/result` (the call-screening whisper and its
 * key), `/twilio/sms` and `/twilio/sms/status`. Every request must carry a valid
 * `X-Twilio-Signature`; a missing or wrong one gets 403 and records only `WebhookRejected`.
 * A `To` no tenant owns records only `WebhookRejected` (voice hears "not in service", SMS
 * gets an empty response). Retries are harmless: every event id derives from the Sid.
 */
export async function twilioWebhooks(app: FastifyInstance, deps: TwilioWebhookDeps): Promise<void> {
  const commandDeps = (request: FastifyRequest) => ({
    log: deps.log,
    clock: deps.clock,
    // The request's span when tracing is on (it continues any incoming `traceparent`).
    traceparent: activeTraceparent() ?? (request.headers.traceparent as string | undefined) ?? null,
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

  /** The tenant and parent `CallSid` a callback URL carries (see `voice-urls.ts`). */
  async function callOf(request: FastifyRequest) {
    const query = request.query as Record<string, string | undefined>;
    if (!query.tenantId || !query.callSid) {
      throw new ValidationError(
        'this callback URL must carry tenantId and callSid (Leadline sets them in the TwiML it returns)',
        'INVALID_WEBHOOK',
      );
    }
    const leg = query.leg === 'on-call' ? ('on-call' as const) : ('owner' as const);
    const tenant = await tenantDirectory.get(deps.db, query.tenantId);
    if (!tenant) await reject(request, 'unknown-number');
    return { tenant, callSid: query.callSid, leg, query };
  }
  const urlsFor = (tenant: Tenant, callSid: string, caller: string) =>
    voiceUrls(deps.publicBaseUrl, tenant.tenantId, callSid, caller);

  app.post('/voice', async (request, reply) => {
    const params = parse(voiceParams, request.body);
    const tenant = await tenantFor(request, params.To);
    if (!tenant) return sendTwiml(reply, notInServiceTwiml());
    const from = tryE164(params.From);
    if (!from) {
      // Withheld caller ID ("Anonymous"): rung like any call in business hours, the
      // after-hours notice otherwise (no menu: there is no one to text if the on-call phone
      // misses), and nothing is recorded: there is no lead to follow up.
      request.log.info({ callSid: params.CallSid }, 'call from a withheld number');
      const urls = urlsFor(tenant, params.CallSid, params.From);
      const open = callPeriod(tenant, deps.clock.now()) !== 'after-hours';
      return sendTwiml(
        reply,
        open ? ringOwnerTwiml(tenant, urls.dialAction('owner', false)) : afterHoursTwiml(tenant),
      );
    }
    const twiml = await receiveCall(
      tenant,
      { callSid: params.CallSid, from, to: tenant.twilioNumber, callStatus: params.CallStatus },
      { ...commandDeps(request), urls: urlsFor(tenant, params.CallSid, from), db: deps.db },
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/voice/status', async (request, reply) => {
    const params = parse(dialActionParams, request.body);
    const { tenant, callSid, leg, query } = await callOf(request);
    if (callSid !== params.CallSid) {
      throw new ValidationError(
        `Dial action for CallSid ${params.CallSid} arrived on the URL of ${callSid}`,
        'INVALID_WEBHOOK',
      );
    }
    if (!tenant) return sendTwiml(reply, notInServiceTwiml());
    const from = tryE164(params.From);
    if (!from) return sendTwiml(reply, missedCallTwiml(tenant));
    const screenedIn =
      query.screened === '1'
        ? (await recordedAnswer(deps.db, callSid, `screen:${leg}`)) === 'accepted'
        : undefined;
    const twiml = await receiveDialResult(
      tenant,
      {
        callSid: params.CallSid,
        from,
        dialCallStatus: params.DialCallStatus,
        dialCallSid: params.DialCallSid ?? null,
        dialCallDurationSeconds: params.DialCallDuration ?? null,
        leg,
        screenedIn,
      },
      commandDeps(request),
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/voice/emergency', async (request, reply) => {
    const params = parse(gatherParams, request.body);
    const { tenant, callSid } = await callOf(request);
    if (callSid !== params.CallSid) {
      throw new ValidationError(
        `emergency menu answer for CallSid ${params.CallSid} arrived on the URL of ${callSid}`,
        'INVALID_WEBHOOK',
      );
    }
    if (!tenant) return sendTwiml(reply, notInServiceTwiml());
    const from = tryE164(params.From);
    if (!from)
      throw new ValidationError(`From "${params.From}" is not a phone number`, 'INVALID_WEBHOOK');
    const twiml = await receiveEmergencyChoice(
      tenant,
      { callSid, from, digits: params.Digits },
      { ...commandDeps(request), db: deps.db, urls: urlsFor(tenant, callSid, from) },
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/voice/screen', async (request, reply) => {
    parse(gatherParams, request.body);
    const { tenant, leg, query } = await callOf(request);
    if (!tenant) return sendTwiml(reply, hangupTwiml());
    const urls = urlsFor(tenant, query.callSid!, query.caller ?? '');
    return sendTwiml(reply, screeningWhisperTwiml(tenant, urls.screenResult(leg)));
  });

  app.post('/voice/screen/result', async (request, reply) => {
    const params = parse(gatherParams, request.body);
    const { tenant, callSid, leg, query } = await callOf(request);
    if (!tenant) return sendTwiml(reply, hangupTwiml());
    const caller = tryE164(query.caller ?? '');
    if (!caller) {
      // A withheld caller: nothing to record against, so the key press alone decides.
      return sendTwiml(reply, screeningResultTwiml(params.Digits === '1'));
    }
    const twiml = await receiveScreening(
      tenant,
      { callSid, caller, leg, digits: params.Digits },
      { ...commandDeps(request), db: deps.db, urls: urlsFor(tenant, callSid, caller) },
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
