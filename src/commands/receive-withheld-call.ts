import { newEvent } from '../events/new-event.ts';
import { withheldCallStreamId } from '../events/streams.ts';
import { afterHoursWithheldTwiml, ringOwnerTwiml } from '../rules/voice-responses.ts';
import type { E164 } from '../shared/phone.ts';
import { callPeriod } from '../tenants/schedule.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CallSteps } from './call-steps.ts';
import type { CommandDeps } from './command-deps.ts';
import type { VoiceUrls } from './voice-urls.ts';

/** A call whose `From` names nobody to call or text back (`rules/caller-id.ts`). */
export interface WithheldCall {
  callSid: string;
  /** What Twilio sent as `From` (`Anonymous`, `+266696687`, `sip:…`, ''), at most 64 characters. */
  callerId: string;
  to: E164;
  callStatus: string;
}

/**
 * Handles `POST /twilio/voice` for a caller without a caller ID. In business hours and the
 * evening the owner is rung like for any call (without the screening whisper: there is no
 * lead to hand the key press to); after hours the caller hears that the business is closed
 * and, since no text can follow, is asked to call back (no emergency menu: if the on-call
 * phone missed, nobody could be texted). Records `WithheldCallReceived` in the call's own
 * stream (`call:<tenantId>:<CallSid>`), idempotent on `CallSid`, and answers a retry as the
 * first delivery was (`call_steps`). No lead, no consent: the owner's one alert, if the call
 * is missed, comes from the lead-conversation processor (`decide-withheld.ts`).
 */
export async function receiveWithheldCall(
  tenant: Tenant,
  call: WithheldCall,
  deps: CommandDeps & { urls: VoiceUrls; callSteps: CallSteps },
): Promise<string> {
  const period = callPeriod(tenant, deps.clock.now());
  const fresh = period === 'after-hours' ? 'after-hours-notice' : 'ring-owner';
  const action = await deps.callSteps.first(
    { callSid: call.callSid, step: 'answer', tenantId: tenant.tenantId },
    fresh,
  );
  const mode =
    action === fresh ? period : action === 'ring-owner' ? 'business-hours' : 'after-hours';
  await deps.log.append([
    newEvent(
      {
        type: 'WithheldCallReceived',
        streamId: withheldCallStreamId(tenant.tenantId, call.callSid),
        tenantId: tenant.tenantId,
        data: { ...call, mode, action },
        idempotencyKey: call.callSid,
        correlationId: call.callSid,
        traceparent: deps.traceparent ?? null,
      },
      deps.clock,
    ),
  ]);
  return action === 'ring-owner'
    ? ringOwnerTwiml(tenant, deps.urls.dialAction('owner', false))
    : afterHoursWithheldTwiml(tenant);
}
