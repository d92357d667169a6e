import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { hangupTwiml, missedCallTwiml } from '../rules/voice-responses.ts';
import type { CommandDeps } from './command-deps.ts';

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

/** The `<Dial action>` callback: the parent call's `CallSid`, `From` (the caller), and the outcome. */
export interface DialResult {
  callSid: string;
  from: E164;
  dialCallStatus: DialCallStatus;
  dialCallSid: string | null;
  dialCallDurationSeconds: number | null;
}

/** Whether the owner took the call: `completed` or `answered` (Twilio `<Dial>` docs). */
export const isAnswered = (status: DialCallStatus): boolean =>
  status === 'completed' || status === 'answered';

/** What a `<Dial>` outcome means for the lead. */
export type DialOutcome =
  { answered: true } | { answered: false; reason: 'not-answered' | 'likely-voicemail' };

/**
 * Interprets a `<Dial action>` callback (pure). `completed`/`answered` is answered, unless the
 * bridged call lasted less than the tenant's voicemail threshold: a forwarded call answered by
 * the owner's own voicemail also reports `completed`, and must not swallow the lead.
 */
export function interpretDial(result: DialResult, tenant: Tenant): DialOutcome {
  if (!isAnswered(result.dialCallStatus)) return { answered: false, reason: 'not-answered' };
  const threshold = tenant.voicemailThresholdSeconds;
  const seconds = result.dialCallDurationSeconds;
  if (threshold > 0 && seconds !== null && seconds < threshold) {
    return { answered: false, reason: 'likely-voicemail' };
  }
  return { answered: true };
}

/**
 * Handles `POST /twilio/voice/status`: records `DialAnswered` or `DialMissed` (see
 * {@link interpretDial}; idempotent on `CallSid`) and answers with TwiML: hang up after an
 * answered call, or a short spoken message before hanging up on a missed one.
 */
export async function receiveDialResult(
  tenant: Tenant,
  result: DialResult,
  deps: CommandDeps,
): Promise<string> {
  const common = {
    streamId: leadStreamId(tenant.tenantId, result.from),
    tenantId: tenant.tenantId,
    idempotencyKey: result.callSid,
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
            },
          },
          deps.clock,
        );
  await deps.log.append([event]);
  return event.type === 'DialAnswered' ? hangupTwiml() : missedCallTwiml(tenant);
}
