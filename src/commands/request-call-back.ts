import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import { ValidationError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { toE164, type E164 } from '../shared/phone.ts';
import { isStaffPhone, type Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';

/** A staff member's request to call one of the tenant's leads through the business number. */
export interface CallBackRequest {
  /** The lead (E.164); the caller has checked it is a lead of the tenant. */
  phone: E164;
  /** The phone rung first; absent: the owner's. Must be one of the tenant's staff phones. */
  staffPhone?: string;
  /** The API key id that asks. */
  requestedBy: string;
  /** HTTP `Idempotency-Key`: the same key places one call, whatever the number of requests. */
  idempotencyKey: string;
}

/**
 * Records `CallBackRequested` on the lead's stream: the lead-conversation processor queues the
 * call (`outbound_calls`) and the call placer asks Twilio to ring the staff phone, then dial
 * the lead with the business number as caller ID. Counts as a human takeover. The call-back id
 * derives from the tenant, the lead, the staff phone and the idempotency key, so a repeated
 * request places no second call.
 *
 * @returns the call-back id, the event id and the staff phone that will ring.
 * @throws ValidationError (`NOT_A_STAFF_PHONE`) when `staffPhone` is not the owner's, the
 *   on-call or a staff phone of the tenant (Leadline never bridges a lead to a stranger), or
 *   (`INVALID_PHONE_NUMBER`) not a phone number.
 */
export async function requestCallBack(
  tenant: Tenant,
  request: CallBackRequest,
  deps: CommandDeps,
): Promise<{ callbackId: string; eventId: string; staffPhone: E164 }> {
  const staffPhone = request.staffPhone ? toE164(request.staffPhone) : tenant.ownerPhone;
  if (!isStaffPhone(tenant, staffPhone)) {
    throw new ValidationError(
      `${request.staffPhone} is not one of this business's phones; add it with tenants update --staff-phones`,
      'NOT_A_STAFF_PHONE',
    );
  }
  // Scoped to the lead and the phone rung: a reused key for another pair is another call.
  const callbackId = deterministicId(
    'call-back',
    tenant.tenantId,
    request.phone,
    staffPhone,
    request.idempotencyKey,
  );
  const event = newEvent(
    {
      type: 'CallBackRequested',
      streamId: leadStreamId(tenant.tenantId, request.phone),
      tenantId: tenant.tenantId,
      data: { callbackId, staffPhone, requestedBy: request.requestedBy },
      idempotencyKey: callbackId,
      correlationId: callbackId,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  await deps.log.append([event]);
  return { callbackId, eventId: event.id, staffPhone };
}
