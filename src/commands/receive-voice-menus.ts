import type { VoiceUrls } from './voice-urls.ts';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import {
  afterHoursGoodbyeTwiml,
  connectOnCallTwiml,
  screeningResultTwiml,
} from '../rules/voice-responses.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CallSteps } from './call-steps.ts';
import type { CommandDeps } from './command-deps.ts';
import { leadEnvelope } from './lead-envelope.ts';

/** What the voice menus' commands need. */
type MenuDeps = CommandDeps & { urls: VoiceUrls; callSteps: CallSteps };

/**
 * Handles the emergency menu's `<Gather action>` (`POST /twilio/voice/emergency`): `1`
 * records `EmergencyEscalated` and rings the on-call phone (screened when the tenant screens
 * calls); any other key, or none, records `EmergencyDeclined` and says goodbye (the
 * after-hours text and owner alert follow). The first choice recorded for a call stands, so
 * a Twilio retry is answered the same way.
 */
export async function receiveEmergencyChoice(
  tenant: Tenant,
  choice: { callSid: string; from: E164; digits: string | null },
  deps: MenuDeps,
): Promise<string> {
  const wanted = choice.digits === '1' && tenant.emergencyPhone ? 'escalate' : 'decline';
  const decided = await deps.callSteps.first(
    { callSid: choice.callSid, step: 'emergency-menu', tenantId: tenant.tenantId },
    wanted,
  );
  const common = leadEnvelope(tenant.tenantId, choice.from, choice.callSid, deps.traceparent);
  if (decided === 'escalate' && tenant.emergencyPhone) {
    const onCallPhone = tenant.emergencyPhone;
    await deps.log.append([
      newEvent(
        {
          ...common,
          type: 'EmergencyEscalated',
          data: { callSid: choice.callSid, onCallPhone },
        },
        deps.clock,
      ),
    ]);
    return connectOnCallTwiml(
      onCallPhone,
      deps.urls.dialAction('on-call', tenant.callScreening),
      tenant.callScreening ? deps.urls.screen('on-call') : null,
      tenant,
    );
  }
  await deps.log.append([
    newEvent(
      {
        ...common,
        type: 'EmergencyDeclined',
        data: { callSid: choice.callSid, digits: choice.digits },
      },
      deps.clock,
    ),
  ]);
  return afterHoursGoodbyeTwiml(tenant);
}

/**
 * Handles the screening whisper's `<Gather action>` (`POST /twilio/voice/screen/result`):
 * records `CallScreened` (accepted when the person rung pressed 1) on the caller's lead
 * stream, then connects the call or hangs up that leg. The first result for a call and leg
 * stands; the `<Dial action>` callback reads it to decide answered or missed.
 */
export async function receiveScreening(
  tenant: Tenant,
  screening: { callSid: string; caller: E164; leg: 'owner' | 'on-call'; digits: string | null },
  deps: MenuDeps,
): Promise<string> {
  const outcome = await deps.callSteps.first(
    { callSid: screening.callSid, step: `screen:${screening.leg}`, tenantId: tenant.tenantId },
    screening.digits === '1' ? 'accepted' : 'declined',
  );
  await deps.log.append([
    newEvent(
      {
        type: 'CallScreened',
        streamId: leadStreamId(tenant.tenantId, screening.caller),
        tenantId: tenant.tenantId,
        data: {
          callSid: screening.callSid,
          leg: screening.leg,
          accepted: outcome === 'accepted',
          digits: screening.digits,
        },
        idempotencyKey: `${screening.callSid}:${screening.leg}`,
        correlationId: screening.callSid,
        traceparent: deps.traceparent ?? null,
      },
      deps.clock,
    ),
  ]);
  return screeningResultTwiml(outcome === 'accepted');
}
