import type pg from 'pg';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import type { EventData } from '../events/catalogue.ts';
import type { E164 } from '../shared/phone.ts';
import { callPeriod, type CallPeriod } from '../tenants/schedule.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { afterHoursTwiml, ringOwnerTwiml } from '../rules/voice-responses.ts';
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

/**
 * Decides how to answer an inbound call (pure). In the tenant's business hours or evening
 * (its own schedule and IANA zone, `tenants/schedule.ts`): ring the owner with a
 * `<Dial action>` back to `dialActionUrl`. After hours, on a closed weekday or a holiday: the
 * after-hours notice (the text and the owner alert follow from the recorded event).
 */
export function decideIncomingCall(
  tenant: Tenant,
  call: IncomingCall,
  now: Date,
  dialActionUrl: string,
): CallDecision {
  const period = callPeriod(tenant, now);
  const action = period === 'after-hours' ? 'after-hours-notice' : 'ring-owner';
  return answerAs(action, tenant, call, dialActionUrl, period);
}

/**
 * Handles `POST /twilio/voice` for a known tenant: decides, records `CallReceived` (idempotent
 * on `CallSid`, so Twilio's retries record nothing new) and returns the TwiML. A retry is
 * answered as the first delivery was (`call_answers`), even across a business-hours boundary.
 */
export async function receiveCall(
  tenant: Tenant,
  call: IncomingCall,
  deps: CommandDeps & { dialActionUrl: string; db: pg.Pool },
): Promise<string> {
  const fresh = decideIncomingCall(tenant, call, deps.clock.now(), deps.dialActionUrl);
  // First answer wins: a retry of this CallSid is answered as the first delivery was.
  const { rows } = await deps.db.query<{ action: CallDecision['data']['action'] }>(
    `INSERT INTO call_answers (call_sid, tenant_id, action) VALUES ($1, $2, $3)
     ON CONFLICT (call_sid) DO UPDATE SET call_sid = EXCLUDED.call_sid
     RETURNING action`,
    [call.callSid, tenant.tenantId, fresh.data.action],
  );
  const decision =
    rows[0]!.action === fresh.data.action
      ? fresh
      : answerAs(rows[0]!.action, tenant, call, deps.dialActionUrl);
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
  await deps.log.append([event]);
  return decision.twiml;
}

/** The decision that gives `action` (pure): used to repeat an earlier answer. */
function answerAs(
  action: CallDecision['data']['action'],
  tenant: Tenant,
  call: IncomingCall,
  dialActionUrl: string,
  period?: CallPeriod,
): CallDecision {
  const base = { callSid: call.callSid, from: call.from, to: call.to, callStatus: call.callStatus };
  return action === 'ring-owner'
    ? {
        data: { ...base, mode: period === 'evening' ? 'evening' : 'business-hours', action },
        twiml: ringOwnerTwiml(tenant, dialActionUrl),
      }
    : { data: { ...base, mode: 'after-hours', action }, twiml: afterHoursTwiml(tenant) };
}
