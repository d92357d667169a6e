import { createHash } from 'node:crypto';
import type { EventData } from '../../events/catalogue.ts';

/** The hash before a tenant's first consent record (64 zeros). */
export const GENESIS_HASH = '0'.repeat(64);

/** What a consent record says, as hashed: everything an auditor relies on. */
export interface ConsentContent {
  eventId: string;
  tenantId: string;
  phone: string;
  kind: 'granted' | 'revoked';
  basis: string | null;
  source: string | null;
  channel: string | null;
  text: string | null;
  evidence: Record<string, string>;
  occurredAt: string;
  expiresAt: string | null;
}

/** The content of a consent event (pure): what the ledger records and hashes. */
export function contentOf(event: {
  id: string;
  tenantId: string | null;
  occurredAt: string;
  type: 'ConsentGranted' | 'ConsentRevoked';
  data: EventData<'ConsentGranted'> | EventData<'ConsentRevoked'>;
}): ConsentContent {
  const granted = event.type === 'ConsentGranted';
  const d = event.data as Partial<EventData<'ConsentGranted'> & EventData<'ConsentRevoked'>>;
  return {
    eventId: event.id,
    tenantId: event.tenantId ?? '',
    phone: d.phone!,
    kind: granted ? 'granted' : 'revoked',
    basis: granted ? d.basis! : null,
    source: granted ? d.source! : null,
    channel: granted ? null : d.channel!,
    text: granted ? null : (d.text ?? null),
    evidence: d.evidence ?? {},
    occurredAt: new Date(event.occurredAt).toISOString(),
    expiresAt: granted && d.expiresAt ? new Date(d.expiresAt).toISOString() : null,
  };
}

/**
 * Canonical JSON of a record's content (keys sorted at every level), so the same content
 * always hashes the same.
 */
export function canonical(content: ConsentContent): string {
  const sort = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((k) => [k, sort((value as Record<string, unknown>)[k])]),
        )
      : value;
  return JSON.stringify(sort(content));
}

/** `sha256(prevHash + "\n" + canonicalContent)`, hex: one link of a tenant's chain. */
export function chainHash(prevHash: string, canonicalContent: string): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalContent}`).digest('hex');
}
