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

/**
 * Handles `POST /twilio/voice/status`: records `DialAnswered` or `DialMissed` (idempotent on
 * `CallSid`) and answers with TwiML: hang up after an answered call, or a short spoken
 * message before hanging up on a missed one.
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
  const event =
    status === 'completed' || status === 'answered' // narrowed form of isAnswered()
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
            },
          },
          deps.clock,
        );
  await deps.log.append([event]);
  return event.type === 'DialAnswered' ? hangupTwiml() : missedCallTwiml(tenant);
}
