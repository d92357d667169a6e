import { consentExpiresAt } from '../consent/index.ts';
import type { LeadlineEvent } from '../events/catalogue.ts';
import { newEvent } from '../events/new-event.ts';
import type { Clock } from '../shared/clock.ts';
import type { Tenant } from '../tenants/tenant.ts';

/**
 * The implied consent an inquiry gives (pure): `ConsentGranted` with basis `implied-inquiry`,
 * source `call` or `sms` by `evidence` (`callSid` or `messageSid`), expiring 6 months after
 * the inquiry in the tenant's zone (CASL s.10(10)(b)), caused by `inquiry` and in its stream.
 * Callers leave it out for a number that opted out: an inquiry does not undo a revocation.
 */
export function inquiryConsent(
  tenant: Tenant,
  inquiry: LeadlineEvent,
  evidence: { callSid: string } | { messageSid: string },
  deps: { clock: Clock; traceparent?: string | null },
): LeadlineEvent {
  const phone = inquiry.streamId.slice(inquiry.streamId.lastIndexOf(':') + 1);
  return newEvent(
    {
      type: 'ConsentGranted',
      streamId: inquiry.streamId,
      tenantId: tenant.tenantId,
      data: {
        phone,
        basis: 'implied-inquiry',
        source: 'callSid' in evidence ? 'call' : 'sms',
        evidence,
        expiresAt: consentExpiresAt('implied-inquiry', inquiry.occurredAt, tenant.timezone),
      },
      idempotencyKey: `inquiry:${'callSid' in evidence ? evidence.callSid : evidence.messageSid}`,
      causationId: inquiry.id,
      correlationId: inquiry.correlationId,
      occurredAt: new Date(inquiry.occurredAt),
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
}
