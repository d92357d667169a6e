import { newEvent } from '../events/new-event.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { withheldCallStreamId } from '../events/streams.ts';
import {
  hangupTwiml,
  missedCallTwiml,
  missedCallWords,
  missedWithheldTwiml,
  onCallMissedTwiml,
  withVoicemailTwiml,
} from '../rules/voice-responses.ts';
import type { VoiceUrls } from './voice-urls.ts';
import type { CommandDeps } from './command-deps.ts';
import { leadEnvelope } from './lead-envelope.ts';

/** Values of `DialCallStatus` (Twilio TwiML `<Dial>` action callback). */
export const DIAL_CALL_STATUSES = [
  'completed',
  'answered',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type DialCallStatus = (typeof DIAL_CALL_STATUSES)[number];

/**
 * The `<Dial action>` callback: the parent call's `CallSid`, `From` (the caller), the
 * outcome, which phone was rung (`leg`, from the action URL) and, when the screening whisper
 * was in the TwiML, whether the person pressed 1 (`screenedIn`; undefined: not screened).
 */
export interface DialResult {
  callSid: string;
  /** The caller (E.164); null for a caller without a caller ID (a withheld call's stream). */
  from: E164 | null;
  dialCallStatus: DialCallStatus;
  dialCallSid: string | null;
  dialCallDurationSeconds: number | null;
  leg?: 'owner' | 'on-call';
  screenedIn?: boolean;
}

/** Whether the owner took the call: `completed` or `answered` (Twilio `<Dial>` docs). */
export const isAnswered = (status: DialCallStatus): boolean =>
  status === 'completed' || status === 'answered';

/** What a `<Dial>` outcome means for the lead. */
export type DialOutcome =
  | { answered: true }
  | { answered: false; reason: 'not-answered' | 'likely-voicemail' | 'not-screened-in' };

/**
 * Interprets a `<Dial action>` callback (pure). `completed`/`answered` is answered, unless:
 * the call was screened and nobody pressed 1 (a voicemail cannot), or, without screening, the
 * bridged call lasted less than the tenant's voicemail threshold: a forwarded call answered
 * by the owner's own voicemail also reports `completed`, and must not swallow the lead.
 */
export function interpretDial(result: DialResult, tenant: Tenant): DialOutcome {
  if (!isAnswered(result.dialCallStatus)) return { answered: false, reason: 'not-answered' };
  if (result.screenedIn !== undefined) {
    return result.screenedIn ? { answered: true } : { answered: false, reason: 'not-screened-in' };
  }
  const threshold = tenant.voicemailThresholdSeconds;
  const seconds = result.dialCallDurationSeconds;
  if (threshold > 0 && seconds !== null && seconds < threshold) {
    return { answered: false, reason: 'likely-voicemail' };
  }
  return { answered: true };
}

/**
 * Handles `POST /twilio/voice/status`: records `DialAnswered` or `DialMissed` (see
 * {@link interpretDial}; idempotent on `CallSid` and leg) and answers with TwiML: hang up
 * after an answered call, or a short spoken message before hanging up on a missed one (an
 * apology when the on-call phone missed an emergency). For a caller without a caller ID
 * (`from` null) the outcome goes to the withheld call's stream, and a missed call's message
 * asks them to call back, since nothing can be texted. With the tenant's voicemail on (and
 * `deps.urls`), the owner's missed leg offers to leave a message (`<Record>`).
 */
export async function receiveDialResult(
  tenant: Tenant,
  result: DialResult,
  deps: CommandDeps & { urls?: VoiceUrls },
): Promise<string> {
  const leg = result.leg ?? 'owner';
  const idempotencyKey = leg === 'on-call' ? `${result.callSid}:on-call` : result.callSid;
  const common = result.from
    ? leadEnvelope(tenant.tenantId, result.from, result.callSid, deps.traceparent, idempotencyKey)
    : {
        streamId: withheldCallStreamId(tenant.tenantId, result.callSid),
        tenantId: tenant.tenantId,
        idempotencyKey,
        correlationId: result.callSid,
        traceparent: deps.traceparent ?? null,
      };
  const status = result.dialCallStatus;
  const outcome = interpretDial(result, tenant);
  const event =
    outcome.answered && (status === 'completed' || status === 'answered')
      ? newEvent(
          {
            ...common,
            type: 'DialAnswered',
            data: {
              callSid: result.callSid,
              dialCallSid: result.dialCallSid,
              dialCallStatus: status,
              dialCallDurationSeconds: result.dialCallDurationSeconds,
              leg,
            },
          },
          deps.clock,
        )
      : newEvent(
          {
            ...common,
            type: 'DialMissed',
            data: {
              callSid: result.callSid,
              dialCallSid: result.dialCallSid,
              dialCallStatus: status,
              reason: outcome.answered ? 'not-answered' : outcome.reason,
              dialCallDurationSeconds: result.dialCallDurationSeconds,
              leg,
            },
          },
          deps.clock,
        );
  await deps.log.append([event]);
  if (event.type === 'DialAnswered') return hangupTwiml();
  if (!result.from) return missedWithheldTwiml(tenant);
  if (leg === 'on-call') return onCallMissedTwiml(tenant);
  return tenant.voicemail && deps.urls
    ? withVoicemailTwiml(missedCallWords(tenant), deps.urls.voicemail, tenant)
    : missedCallTwiml(tenant);
}
