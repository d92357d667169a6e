import type pg from 'pg';
import type { VoiceUrls } from './voice-urls.ts';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import type { EventData } from '../events/catalogue.ts';
import type { E164 } from '../shared/phone.ts';
import { callPeriod, type CallPeriod } from '../tenants/schedule.ts';
import type { Tenant } from '../tenants/tenant.ts';
import {
  afterHoursTwiml,
  afterHoursWords,
  emergencyMenuTwiml,
  ringOwnerTwiml,
  withVoicemailTwiml,
} from '../rules/voice-responses.ts';
import type { CallSteps } from './call-steps.ts';
import { inquiryConsent, optedOutBeforeInquiry } from './inquiry-consent.ts';
import type { CommandDeps } from './command-deps.ts';

/** An inbound call as Twilio reports it to `POST /twilio/voice`. */
export interface IncomingCall {
  callSid: string;
  from: E164;
  to: E164;
  callStatus: string;
}

/** The decision for an inbound call: the fact to record and the TwiML to answer with. */
export interface CallDecision {
  data: EventData<'CallReceived'>;
  twiml: string;
}

type Action = CallDecision['data']['action'];

/**
 * Decides how to answer an inbound call (pure). In the tenant's business hours or evening
 * (its own schedule and IANA zone, `tenants/schedule.ts`): ring the owner with a
 * `<Dial action>` (screened when the tenant has call screening on). After hours, on a closed
 * weekday or a holiday: the emergency menu when emergency mode is on, else the after-hours
 * notice (the text and the owner alert follow from the recorded event).
 */
export function decideIncomingCall(
  tenant: Tenant,
  call: IncomingCall,
  now: Date,
  urls: VoiceUrls,
): CallDecision {
  const period = callPeriod(tenant, now);
  const action: Action =
    period !== 'after-hours'
      ? 'ring-owner'
      : tenant.emergencyMode && tenant.emergencyPhone
        ? 'emergency-menu'
        : 'after-hours-notice';
  return answerAs(action, tenant, call, urls, period);
}

/**
 * Handles `POST /twilio/voice` for a known tenant: decides, records `CallReceived` (idempotent
 * on `CallSid`, so Twilio's retries record nothing new) with the implied consent the inquiry
 * gives (none for a number that opted out) and returns the TwiML. A retry is
 * answered as the first delivery was (`call_steps`), even across a business-hours boundary.
 */
export async function receiveCall(
  tenant: Tenant,
  call: IncomingCall,
  deps: CommandDeps & { urls: VoiceUrls; db: pg.Pool; callSteps: CallSteps },
): Promise<string> {
  const fresh = decideIncomingCall(tenant, call, deps.clock.now(), deps.urls);
  const action = await deps.callSteps.first(
    { callSid: call.callSid, step: 'answer', tenantId: tenant.tenantId },
    fresh.data.action,
  );
  const decision = action === fresh.data.action ? fresh : answerAs(action, tenant, call, deps.urls);
  const event = newEvent(
    {
      type: 'CallReceived',
      streamId: leadStreamId(tenant.tenantId, call.from),
      tenantId: tenant.tenantId,
      data: decision.data,
      idempotencyKey: call.callSid,
      correlationId: call.callSid,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  const optedOut = await optedOutBeforeInquiry(deps, tenant.tenantId, call.from);
  await deps.log.append(
    optedOut ? [event] : [event, inquiryConsent(tenant, event, { callSid: call.callSid }, deps)],
  );
  return decision.twiml;
}

/**
 * The decision that gives `action` (pure): used to repeat an earlier answer. `period` is the
 * one the call fell in, when known (a repeat infers it from the action).
 */
export function answerAs(
  action: Action,
  tenant: Tenant,
  call: IncomingCall,
  urls: VoiceUrls,
  period?: CallPeriod,
): CallDecision {
  const base = { callSid: call.callSid, from: call.from, to: call.to, callStatus: call.callStatus };
  switch (action) {
    case 'ring-owner':
      return {
        data: { ...base, mode: period === 'evening' ? 'evening' : 'business-hours', action },
        twiml: ringOwnerTwiml(
          tenant,
          urls.dialAction('owner', tenant.callScreening),
          tenant.callScreening ? urls.screen('owner') : null,
        ),
      };
    case 'emergency-menu':
      return {
        data: { ...base, mode: 'after-hours', action },
        twiml: emergencyMenuTwiml(tenant, urls.emergencyMenu),
      };
    case 'after-hours-notice':
      return {
        data: { ...base, mode: 'after-hours', action },
        twiml: tenant.voicemail
          ? withVoicemailTwiml(afterHoursWords(tenant), urls.voicemail, tenant)
          : afterHoursTwiml(tenant),
      };
  }
}
