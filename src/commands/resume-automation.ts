import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import { randomId, type IdGenerator } from '../shared/ids.ts';
import { toE164, type E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';

/**
 * Records `AutomationResumed` on the lead's stream (`leadline conversations resume`): after
 * a staff member took the conversation over, acknowledgements and other automatic texts to
 * the lead go again from the next event on. Harmless when nobody had taken over.
 * @returns the event id and the lead's number (E.164).
 * @throws ValidationError (`INVALID_PHONE_NUMBER`) when `phone` is not a phone number.
 */
export async function resumeAutomation(
  tenant: Tenant,
  input: { phone: string; resumedBy: string },
  deps: CommandDeps & { uniqueId?: IdGenerator },
): Promise<{ eventId: string; phone: E164 }> {
  const phone = toE164(input.phone);
  const event = newEvent(
    {
      type: 'AutomationResumed',
      streamId: leadStreamId(tenant.tenantId, phone),
      tenantId: tenant.tenantId,
      data: { phone, resumedBy: input.resumedBy },
      idempotencyKey: (deps.uniqueId ?? randomId)(),
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  await deps.log.append([event]);
  return { eventId: event.id, phone };
}
