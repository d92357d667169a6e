import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import { deterministicId, randomId, type IdGenerator } from '../shared/ids.ts';
import { toE164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';

/** An owner's request that a customer be asked for a review, after a job. */
export interface ReviewRequestInput {
  /** The customer's number (any common format; stored E.164). */
  phone: string;
  requestedBy: 'api' | 'cli';
  /** What the job was, for the owner's records; never sent to the customer. */
  note?: string | null;
  /**
   * The caller's idempotency key (HTTP `Idempotency-Key`): the same key for the same tenant
   * is the same request, recorded and texted once.
   */
  idempotencyKey?: string;
}

/**
 * Records `ReviewRequested` on the customer's lead stream; the lead-conversation processor
 * sends the text (consent-gated, within quiet hours) and reads the reply.
 *
 * @returns the request id (a UUID) and the customer's number (E.164).
 * @throws ValidationError (`INVALID_PHONE_NUMBER`) when `phone` is not a phone number.
 */
export async function requestReview(
  tenant: Tenant,
  input: ReviewRequestInput,
  deps: CommandDeps & { uniqueId?: IdGenerator },
): Promise<{ requestId: string; phone: string }> {
  const phone = toE164(input.phone);
  const requestId = input.idempotencyKey
    ? deterministicId('review-request', tenant.tenantId, input.idempotencyKey)
    : (deps.uniqueId ?? randomId)();
  await deps.log.append([
    newEvent(
      {
        type: 'ReviewRequested',
        streamId: leadStreamId(tenant.tenantId, phone),
        tenantId: tenant.tenantId,
        data: { requestId, phone, requestedBy: input.requestedBy, note: input.note ?? null },
        idempotencyKey: requestId,
        traceparent: deps.traceparent ?? null,
      },
      deps.clock,
    ),
  ]);
  return { requestId, phone };
}
