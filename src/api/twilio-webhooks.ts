import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { z } from 'zod';
import type { CallSteps } from '../commands/call-steps.ts';
import { receiveCall } from '../commands/receive-call.ts';
import { receiveDialResult } from '../commands/receive-dial-result.ts';
import { receiveEmergencyChoice, receiveScreening } from '../commands/receive-voice-menus.ts';
import { receiveSms } from '../commands/receive-sms.ts';
import type { ConsentGateReader } from '../consent/gate/gate-memory.ts';
import { receiveStaffText, type StaffText } from '../commands/receive-staff-text.ts';
import { receiveWithheldCall } from '../commands/receive-withheld-call.ts';
import { recordSmsStatus, type SmsStatus } from '../commands/record-sms-status.ts';
import { rejectWebhook } from '../commands/reject-webhook.ts';
import type { DatabaseReach } from '../db/reach.ts';
import type { SpoolEntry } from '../intake/spool-entry.ts';
import type { EventLog } from '../log/event-log.ts';
import type { TenantRouting } from '../projections/tenants/tenant-routing.ts';
import { classifyCaller, leadCallerId } from '../rules/caller-id.ts';
import type { Clock } from '../shared/clock.ts';
import { ValidationError } from '../shared/errors.ts';
import { isUnavailable, withDeadline } from '../shared/faults.ts';
import { randomId } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import { tryE164 } from '../shared/phone.ts';
import { activeTraceparent } from '../telemetry/trace-context.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { callPeriod } from '../tenants/schedule.ts';
import {
  afterHoursWithheldTwiml,
  emptyTwiml,
  hangupTwiml,
  notInServiceTwiml,
  ringOwnerTwiml,
  screeningResultTwiml,
  screeningWhisperTwiml,
  staffCallTwiml,
  callBackDialTwiml,
  voicemailThanksTwiml,
} from '../rules/voice-responses.ts';
import { guardTwilioRoutes, type WebhookRefusal } from './twilio-guard.ts';
import {
  dialActionParams,
  gatherParams,
  recordActionParams,
  recordingStatusParams,
  smsParams,
  smsStatusParams,
  transcriptionParams,
  voiceParams,
} from './twilio-params.ts';
import { recordTranscription, recordVoicemail } from '../commands/record-voicemail.ts';
import { voiceUrls } from './voice-urls.ts';
import { sendTwiml } from './send-twiml.ts';

/** What the webhook routes need. */
export interface TwilioWebhookDeps {
  /**
   * The log as webhooks append to it: durable in the log, or in the local spool while the
   * log is unreachable (`src/intake`).
   */
  log: EventLog;
  db: pg.Pool;
  clock: Clock;
  logger: Logger;
  /** Token that signs webhooks (`TWILIO_AUTH_TOKEN` or the local one). */
  authToken: string;
  /** What Twilio calls, without trailing slash; signatures are computed over it. */
  publicBaseUrl: string;
  /** `TWILIO_ACCOUNT_SID`: a signed webhook naming another account is refused. */
  accountSid: string | undefined;
  /** Unsigned requests allowed per client address per minute. */
  unsignedPerMinute: number;
  /** Tenant routing that answers from memory while PostgreSQL is unreachable. */
  tenants: TenantRouting;
  /** The consent gate's answers from memory (`gate-memory.ts`); absent: read from PostgreSQL. */
  consentGate?: ConsentGateReader;
  /** First answers of call steps, kept in memory while PostgreSQL is unreachable. */
  callSteps: CallSteps;
  /** How read-your-writes steps treat an unreachable PostgreSQL. */
  reach: DatabaseReach;
  /** Keeps work that needs the database (a status callback) for when it is back. */
  defer: (entry: SpoolEntry) => Promise<void>;
  /** Counts refused requests. */
  onRefused?: (route: string, reason: WebhookRefusal) => void;
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

/** Longest (ms) a status callback waits for the database before it is spooled instead. */
const STATUS_LOOKUP_DEADLINE_MS = 2_000;

/**
 * Twilio's webhooks (design §10): `POST /twilio/voice`, `/twilio/voice/status` (the `<Dial>`
 * action callback), `/twilio/voice/emergency` (the after-hours emergency menu's key),
 * `/twilio/voice/screen` and `/twilio/voice/screen/result` (the call-screening whisper and its
 * key), `/twilio/voice/call-back` (a call-back's "press 1"), `/twilio/voice/recorded`, `/twilio/voice/recording` and `/twilio/voice/transcription`
 * (a voicemail's end, recording and transcript), `/twilio/sms` and `/twilio/sms/status`.
 *
 * - Only signed, form-encoded, bounded requests get in (`twilio-guard.ts`); a refusal stores
 *   nothing. A `To` no tenant owns records `WebhookRejected` (signed: it is Twilio telling us)
 *   and nothing else: voice hears "not in service", SMS gets an empty response.
 * - Only a real E.164 `From` that is not the business's own is a lead (`rules/caller-id.ts`):
 *   a withheld, placeholder, SIP or client caller is rung and recorded in the call's own
 *   stream (one owner alert when missed, no text, no consent); a staff phone's text is
 *   relayed to a lead, its call never recorded.
 * - No webhook is refused because PostgreSQL or the log is away: routing and schedules come
 *   from memory, facts go to the spool when the log does not answer in time, and a status
 *   callback waits in the spool for the database. 2xx still means durable.
 * - Retries are harmless: every event id derives from the Sid.
 */
export async function twilioWebhooks(app: FastifyInstance, deps: TwilioWebhookDeps): Promise<void> {
  await guardTwilioRoutes(app, {
    authToken: deps.authToken,
    publicBaseUrl: deps.publicBaseUrl,
    accountSid: deps.accountSid,
    unsignedPerMinute: deps.unsignedPerMinute,
    logger: deps.logger,
    onRefused: deps.onRefused,
  });

  const commandDeps = (request: FastifyRequest) => ({
    log: deps.log,
    clock: deps.clock,
    reach: deps.reach,
    consentGate: deps.consentGate,
    // The request's span when tracing is on (it continues any incoming `traceparent`).
    traceparent: activeTraceparent() ?? (request.headers.traceparent as string | undefined) ?? null,
  });

  /** The tenant owning `to`, or undefined after recording the rejection. */
  async function tenantFor(request: FastifyRequest, to: string): Promise<Tenant | undefined> {
    const number = tryE164(to);
    const tenant = number ? await deps.tenants.findByNumber(number) : undefined;
    if (!tenant) {
      request.log.warn({ to }, 'webhook for a number no tenant owns');
      const body = request.body as Record<string, unknown>;
      const sid = [body.CallSid, body.MessageSid, body.SmsSid].find((v) => typeof v === 'string');
      await rejectWebhook(
        {
          route: request.routeOptions.url ?? request.url,
          reason: 'unknown-number',
          to: to.slice(0, 64),
          sid: typeof sid === 'string' ? sid.slice(0, 64) : null,
        },
        { ...commandDeps(request), uniqueId: randomId },
      );
    }
    return tenant;
  }

  /** The tenant and parent `CallSid` a callback URL carries (see `voice-urls.ts`). */
  async function callOf(request: FastifyRequest) {
    const query = request.query as Record<string, unknown>;
    const tenantId = query.tenantId;
    const callSid = query.callSid;
    if (
      typeof tenantId !== 'string' ||
      typeof callSid !== 'string' ||
      !UUID.test(tenantId) ||
      !CALL_SID.test(callSid)
    ) {
      throw new ValidationError(
        'this callback URL must carry a tenantId and a callSid (Leadline sets them in the TwiML it returns)',
        'INVALID_WEBHOOK',
      );
    }
    const leg = query.leg === 'on-call' ? ('on-call' as const) : ('owner' as const);
    const tenant = await deps.tenants.get(tenantId);
    if (!tenant) request.log.warn('callback for a tenant that does not exist');
    const caller = typeof query.caller === 'string' ? query.caller : undefined;
    return { tenant, callSid, leg, caller, screened: query.screened === '1' };
  }
  const urlsFor = (tenant: Tenant, callSid: string, caller: string) =>
    voiceUrls(deps.publicBaseUrl, tenant.tenantId, callSid, caller);
  const voiceDeps = (request: FastifyRequest, tenant: Tenant, callSid: string, caller: string) => ({
    ...commandDeps(request),
    db: deps.db,
    callSteps: deps.callSteps,
    urls: urlsFor(tenant, callSid, caller),
  });

  app.post('/voice', async (request, reply) => {
    const params = parse(voiceParams, request.body);
    const tenant = await tenantFor(request, params.To);
    if (!tenant) return sendTwiml(reply, notInServiceTwiml());
    const caller = classifyCaller(tenant, params.From);
    if (caller.kind === 'withheld') {
      // Rung like any call; recorded in the call's own stream, never as a lead: when missed,
      // the owner gets one alert, and nobody is texted.
      const twiml = await receiveWithheldCall(
        tenant,
        {
          callSid: params.CallSid,
          callerId: caller.callerId,
          to: tenant.twilioNumber,
          callStatus: params.CallStatus,
        },
        voiceDeps(request, tenant, params.CallSid, ''),
      );
      return sendTwiml(reply, twiml);
    }
    if (caller.kind === 'staff') {
      // The business's own people: never a lead. Another staff phone reaches the owner in
      // open hours; the owner (or anyone after hours) hears how to text leads from here.
      request.log.info({ callSid: params.CallSid }, 'call from a staff phone');
      const open = callPeriod(tenant, deps.clock.now()) !== 'after-hours';
      return sendTwiml(
        reply,
        open && caller.phone !== tenant.ownerPhone
          ? ringOwnerTwiml(tenant, urlsFor(tenant, params.CallSid, '').dialAction('owner', false))
          : staffCallTwiml(tenant),
      );
    }
    const from = caller.phone;
    const twiml = await receiveCall(
      tenant,
      { callSid: params.CallSid, from, to: tenant.twilioNumber, callStatus: params.CallStatus },
      voiceDeps(request, tenant, params.CallSid, from),
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/voice/status', async (request, reply) => {
    const params = parse(dialActionParams, request.body);
    const { tenant, callSid, leg, screened } = await callOf(request);
    if (callSid !== params.CallSid) {
      throw new ValidationError(
        `Dial action for CallSid ${params.CallSid} arrived on the URL of ${callSid}`,
        'INVALID_WEBHOOK',
      );
    }
    if (!tenant) return sendTwiml(reply, notInServiceTwiml());
    const caller = classifyCaller(tenant, params.From);
    // A staff phone's call is never recorded: it simply ends.
    if (caller.kind === 'staff') return sendTwiml(reply, hangupTwiml());
    const from = caller.kind === 'lead' ? caller.phone : null;
    const screenedIn = screened
      ? (await deps.callSteps.recorded(callSid, `screen:${leg}`)) === 'accepted'
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
      { ...commandDeps(request), urls: urlsFor(tenant, callSid, from ?? '') },
    );
    return sendTwiml(reply, twiml);
  });

  /** A voicemail callback's call, checked against its URL, and its caller if a lead's. */
  async function voicemailCallOf(request: FastifyRequest, paramCallSid: string) {
    const { tenant, callSid, caller } = await callOf(request);
    if (callSid !== paramCallSid) {
      throw new ValidationError(
        `voicemail callback for CallSid ${paramCallSid} arrived on the URL of ${callSid}`,
        'INVALID_WEBHOOK',
      );
    }
    const classified = tenant ? classifyCaller(tenant, caller) : undefined;
    return { tenant, callSid, lead: classified?.kind === 'lead' ? classified.phone : undefined };
  }

  app.post('/voice/call-back', async (request, reply) => {
    // The staff member's key at a call-back's whisper: 1 dials the lead (signed URL).
    const params = parse(gatherParams, request.body);
    const query = request.query as Record<string, unknown>;
    const tenant =
      typeof query.tenantId === 'string' && UUID.test(query.tenantId)
        ? await deps.tenants.get(query.tenantId)
        : undefined;
    const lead = typeof query.lead === 'string' ? leadCallerId(query.lead) : undefined;
    if (!tenant || !lead) {
      throw new ValidationError(
        'this callback URL must carry a tenantId and a lead (Leadline sets them in the TwiML it returns)',
        'INVALID_WEBHOOK',
      );
    }
    return sendTwiml(
      reply,
      params.Digits === '1' ? callBackDialTwiml(tenant, lead) : hangupTwiml(),
    );
  });

  app.post('/voice/recorded', async (request, reply) => {
    const params = parse(recordActionParams, request.body);
    const { tenant } = await voicemailCallOf(request, params.CallSid);
    return sendTwiml(reply, voicemailThanksTwiml(tenant ?? undefined));
  });

  app.post('/voice/recording', async (request, reply) => {
    const params = parse(recordingStatusParams, request.body);
    const { tenant, callSid, lead } = await voicemailCallOf(request, params.CallSid);
    if (tenant && lead && params.RecordingStatus === 'completed') {
      await recordVoicemail(
        tenant,
        {
          callSid,
          caller: lead,
          recordingSid: params.RecordingSid,
          recordingUrl: params.RecordingUrl,
          durationSeconds: params.RecordingDuration ?? null,
        },
        commandDeps(request),
      );
    }
    return sendTwiml(reply, emptyTwiml());
  });

  app.post('/voice/transcription', async (request, reply) => {
    const params = parse(transcriptionParams, request.body);
    const { tenant, callSid, lead } = await voicemailCallOf(request, params.CallSid);
    if (tenant && lead) {
      await recordTranscription(
        tenant,
        {
          callSid,
          caller: lead,
          recordingSid: params.RecordingSid,
          transcriptionSid: params.TranscriptionSid,
          status: params.TranscriptionStatus,
          text: params.TranscriptionText ?? null,
        },
        commandDeps(request),
      );
    }
    return sendTwiml(reply, emptyTwiml());
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
    const caller = classifyCaller(tenant, params.From);
    // No menu is offered to a caller without a caller ID or to staff; a key from one hangs
    // up politely.
    if (caller.kind !== 'lead') return sendTwiml(reply, afterHoursWithheldTwiml(tenant));
    const from = caller.phone;
    const twiml = await receiveEmergencyChoice(
      tenant,
      { callSid, from, digits: params.Digits },
      voiceDeps(request, tenant, callSid, from),
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/voice/screen', async (request, reply) => {
    parse(gatherParams, request.body);
    const { tenant, callSid, leg, caller } = await callOf(request);
    if (!tenant) return sendTwiml(reply, hangupTwiml());
    const urls = urlsFor(tenant, callSid, caller ?? '');
    return sendTwiml(reply, screeningWhisperTwiml(tenant, urls.screenResult(leg)));
  });

  app.post('/voice/screen/result', async (request, reply) => {
    const params = parse(gatherParams, request.body);
    const { tenant, callSid, leg, caller: rawCaller } = await callOf(request);
    if (!tenant) return sendTwiml(reply, hangupTwiml());
    const classified = classifyCaller(tenant, rawCaller);
    const caller = classified.kind === 'lead' ? classified.phone : undefined;
    if (!caller) {
      // A withheld caller: nothing to record against, so the key press alone decides.
      return sendTwiml(reply, screeningResultTwiml(params.Digits === '1'));
    }
    const twiml = await receiveScreening(
      tenant,
      { callSid, caller, leg, digits: params.Digits },
      voiceDeps(request, tenant, callSid, caller),
    );
    return sendTwiml(reply, twiml);
  });

  app.post('/sms', async (request, reply) => {
    const sms = parse(smsParams, request.body);
    const tenant = await tenantFor(request, sms.to);
    if (!tenant) return sendTwiml(reply, emptyTwiml());
    const caller = classifyCaller(tenant, sms.from);
    if (caller.kind === 'withheld') {
      // A short code, an alphanumeric sender or a placeholder: nobody to answer or follow up.
      request.log.info({ messageSid: sms.messageSid }, 'text without a number to answer');
      return sendTwiml(reply, emptyTwiml());
    }
    if (caller.kind === 'staff') {
      const text = {
        messageSid: sms.messageSid,
        from: caller.phone,
        body: sms.body,
        optOutType: sms.optOutType,
      };
      await relayStaffText(request, tenant, text);
      return sendTwiml(reply, emptyTwiml());
    }
    await receiveSms(
      tenant,
      { ...sms, from: caller.phone, to: tenant.twilioNumber },
      { ...commandDeps(request), db: deps.db },
    );
    return sendTwiml(reply, emptyTwiml());
  });

  /**
   * Relays a staff text (`receiveStaffText`); while PostgreSQL is away (or does not answer in
   * time) its target cannot be found, so the text waits in the spool until it is back.
   */
  async function relayStaffText(request: FastifyRequest, tenant: Tenant, text: StaffText) {
    const traceparent = commandDeps(request).traceparent;
    if (!deps.reach.isDown()) {
      try {
        await withDeadline(
          receiveStaffText(tenant, text, {
            ...commandDeps(request),
            db: deps.db,
            callSteps: deps.callSteps,
          }),
          STATUS_LOOKUP_DEADLINE_MS,
          'staff text',
        );
        return;
      } catch (error) {
        if (!isUnavailable(error)) throw error;
      }
    }
    await deps.defer({ kind: 'staff-text', tenantId: tenant.tenantId, text, traceparent });
  }

  app.post('/sms/status', async (request, reply) => {
    const params = parse(smsStatusParams, request.body);
    const { outboxId } = request.query as { outboxId?: string };
    const status: SmsStatus = {
      messageSid: params.MessageSid,
      status: params.MessageStatus,
      errorCode: params.ErrorCode ?? null,
      outboxId: outboxId && UUID.test(outboxId) ? outboxId : null,
    };
    // While PostgreSQL is away (or does not answer in time), the message this callback
    // belongs to cannot be found: keep the callback in the spool until it is back.
    let deferred = deps.reach.isDown();
    if (!deferred) {
      try {
        const found = await withDeadline(
          recordSmsStatus(status, { ...commandDeps(request), db: deps.db }),
          STATUS_LOOKUP_DEADLINE_MS,
          'status callback',
        );
        if (!found) {
          request.log.warn(
            { messageSid: params.MessageSid },
            'status callback for an unknown message',
          );
        }
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        deferred = true;
      }
    }
    if (deferred) {
      await deps.defer({
        kind: 'sms-status',
        status,
        traceparent: commandDeps(request).traceparent,
      });
    }
    return sendTwiml(reply, emptyTwiml());
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CALL_SID = /^CA[0-9a-zA-Z]{8,64}$/;
