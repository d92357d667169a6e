import type pg from 'pg';
import { applyConsentChange, consentExpiresAt } from '../consent/index.ts';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import { ValidationError } from '../shared/errors.ts';
import { toE164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';

/** Consent given outside Leadline's calls and texts (`leadline consent grant`). */
export interface ConsentGrantInput {
  phone: string;
  basis: 'express' | 'implied-business-relationship';
  source: 'form' | 'import' | 'owner';
  /** What proves it (form id, importer and file, invoice): at least one entry. */
  evidence: Record<string, string>;
}

/**
 * Records `ConsentGranted` for a number on the tenant's ledger: express consent (a signed
 * form, an import) lasts until revoked and, like START, lifts an opt-out; a business
 * relationship (a job done or quoted) lasts 2 years (CASL s.10(10)(a)) and does not lift
 * an opt-out. The same grant (tenant, number, basis, source, evidence) is recorded once.
 * @throws ValidationError for a phone number that is not one, or no evidence.
 */
export async function recordConsentGrant(
  tenant: Tenant,
  input: ConsentGrantInput,
  deps: CommandDeps & { db: pg.Pool },
): Promise<{ eventId: string; phone: string; expiresAt: string | null }> {
  const phone = toE164(input.phone);
  if (Object.keys(input.evidence).length === 0) {
    throw new ValidationError('consent needs evidence, e.g. form=F-1042', 'INVALID_EVIDENCE');
  }
  const now = deps.clock.now().toISOString();
  const expiresAt = consentExpiresAt(input.basis, now, tenant.timezone);
  const event = newEvent(
    {
      type: 'ConsentGranted',
      streamId: leadStreamId(tenant.tenantId, phone),
      tenantId: tenant.tenantId,
      data: {
        phone,
        basis: input.basis,
        source: input.source,
        evidence: input.evidence,
        expiresAt,
      },
      idempotencyKey: `${tenant.tenantId}:${phone}:${input.basis}:${input.source}:${JSON.stringify(input.evidence)}`,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  await deps.log.append([event]);
  await applyConsentChange(deps.db, event);
  return { eventId: event.id, phone, expiresAt };
}

/** A revocation recorded by the owner or an import (`leadline consent revoke`). */
export interface ConsentRevocationInput {
  phone: string;
  channel: 'owner' | 'import';
  /** What proves it (who asked, when, the import file): at least one entry. */
  evidence: Record<string, string>;
}

/**
 * Records `ConsentRevoked` for a number on the tenant's ledger, effective at once (the
 * consent gate the sender checks is updated before returning). The same revocation (tenant,
 * number, channel, evidence) is recorded once.
 * @throws ValidationError for a phone number that is not one, or no evidence.
 */
export async function recordConsentRevocation(
  tenant: Tenant,
  input: ConsentRevocationInput,
  deps: CommandDeps & { db: pg.Pool },
): Promise<{ eventId: string; phone: string }> {
  const phone = toE164(input.phone);
  if (Object.keys(input.evidence).length === 0) {
    throw new ValidationError(
      'a revocation needs evidence, e.g. requestedBy=phone-call',
      'INVALID_EVIDENCE',
    );
  }
  const event = newEvent(
    {
      type: 'ConsentRevoked',
      streamId: leadStreamId(tenant.tenantId, phone),
      tenantId: tenant.tenantId,
      data: { phone, channel: input.channel, text: null, evidence: input.evidence },
      idempotencyKey: `${tenant.tenantId}:${phone}:${input.channel}:${JSON.stringify(input.evidence)}`,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  await deps.log.append([event]);
  await applyConsentChange(deps.db, event);
  return { eventId: event.id, phone };
}
