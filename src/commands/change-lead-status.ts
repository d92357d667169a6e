import { consentExpiresAt } from '../consent/index.ts';
import type { LeadlineEvent } from '../events/catalogue.ts';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { randomId } from '../shared/ids.ts';
import { toE164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';

/** The statuses an owner may set. */
export type LeadStatus = 'contacted' | 'booked' | 'lost';

/**
 * Records `LeadStatusChanged` on the lead's stream. `booked` also records the business
 * relationship it creates (`ConsentGranted`, basis `implied-business-relationship`, 2 years,
 * CASL s.10(10)(a)), in the same append.
 * @returns the id of the status event.
 * @throws ValidationError (`INVALID_PHONE_NUMBER`) when `phone` is not a phone number.
 */
export async function changeLeadStatus(
  tenant: Tenant,
  input: { phone: string; status: LeadStatus; changedBy: string; note?: string | null },
  deps: CommandDeps & { uniqueId?: IdGenerator },
): Promise<{ eventId: string; phone: string }> {
  const phone = toE164(input.phone);
  const key = (deps.uniqueId ?? randomId)();
  const streamId = leadStreamId(tenant.tenantId, phone);
  const changed = newEvent(
    {
      type: 'LeadStatusChanged',
      streamId,
      tenantId: tenant.tenantId,
      data: { phone, status: input.status, changedBy: input.changedBy, note: input.note ?? null },
      idempotencyKey: key,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  const events: LeadlineEvent[] = [changed];
  if (input.status === 'booked') {
    events.push(
      newEvent(
        {
          type: 'ConsentGranted',
          streamId,
          tenantId: tenant.tenantId,
          data: {
            phone,
            basis: 'implied-business-relationship',
            source: 'owner',
            evidence: { leadStatus: 'booked', statusEventId: changed.id },
            expiresAt: consentExpiresAt(
              'implied-business-relationship',
              changed.occurredAt,
              tenant.timezone,
            ),
          },
          idempotencyKey: `booked:${key}`,
          causationId: changed.id,
          traceparent: deps.traceparent ?? null,
        },
        deps.clock,
      ),
    );
  }
  await deps.log.append(events);
  return { eventId: changed.id, phone };
}
