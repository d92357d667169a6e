import type pg from 'pg';
import { consentExpiresAt, isOptedOut } from '../consent/index.ts';
import { readYourWrites } from '../db/reach.ts';
import type { CommandDeps } from './command-deps.ts';
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

/**
 * Whether `phone` (E.164) opted out of `tenantId`'s texts, as an inquiry asks before it
 * records implied consent: from the webhook path's memory of the gate when `deps` has one,
 * else from `consent_gate`. False while the database is unreachable on the webhook path
 * (`deps.reach`): the grant is then recorded, and an implied grant never undoes an opt-out
 * (`consent-at.ts`), rather than the webhook refused.
 */
export function optedOutBeforeInquiry(
  deps: Pick<CommandDeps, 'reach' | 'consentGate'> & { db: pg.Pool },
  tenantId: string,
  phone: string,
): Promise<boolean> {
  if (deps.consentGate) return deps.consentGate.isOptedOut(tenantId, phone);
  return readYourWrites(
    deps.reach,
    'consent gate',
    () => isOptedOut(deps.db, tenantId, phone),
    () => false,
  );
}
