import type { ConsentBasis } from './expiry.ts';

/** One entry of a number's consent history, as the consent ledger holds it. */
export interface ConsentRecord {
  kind: 'granted' | 'revoked';
  basis: ConsentBasis | null;
  /** How a grant was obtained (`call`, `sms`, `keyword`, `form`, `import`, `owner`). */
  source: string | null;
  /** How a revocation arrived (`keyword`, `reasonable-means`, `one-click-link`, …). */
  channel: string | null;
  /** UTC ISO-8601. */
  occurredAt: string;
  /** UTC ISO-8601; null for express consent and revocations. */
  expiresAt: string | null;
  eventId: string;
}

/** Whether consent was valid at an instant, under which record and basis, and why. */
export interface ConsentVerdict {
  valid: boolean;
  basis: ConsentBasis | null;
  /** The record that decides it (the grant relied on, or the revocation / lapsed grant). */
  record: ConsentRecord | null;
  /** For people: e.g. `implied consent (inquiry by call) given … valid until …`. */
  reason: string;
}

/**
 * Was consent valid at `time` (pure)? `records` are one tenant's history of one number, in log
 * order. The rules (CASL s.10; FCC 24-24 on revocation):
 * - a revocation ends every grant before it, at once;
 * - after a revocation only a new express grant restores consent; a later inquiry does not;
 * - express consent lasts until revoked;
 * - implied consent lasts until its `expiresAt`; a later grant with a later expiry renews it.
 * Records after `time` are ignored.
 */
export function consentAt(records: ConsentRecord[], time: string): ConsentVerdict {
  const at = Date.parse(time);
  let express: ConsentRecord | null = null;
  let implied: ConsentRecord | null = null;
  let revocation: ConsentRecord | null = null;
  for (const r of records) {
    if (Date.parse(r.occurredAt) > at) break;
    if (r.kind === 'revoked') {
      revocation = r;
      express = null;
      implied = null;
    } else if (r.basis === 'express') {
      express = r;
      revocation = null;
    } else if (
      !revocation &&
      (!implied || Date.parse(r.expiresAt!) > Date.parse(implied.expiresAt!))
    ) {
      implied = r;
    }
  }
  if (express) {
    return {
      valid: true,
      basis: 'express',
      record: express,
      reason: `express consent given ${express.occurredAt} (${express.source}), not revoked since`,
    };
  }
  if (implied && Date.parse(implied.expiresAt!) > at) {
    return {
      valid: true,
      basis: implied.basis,
      record: implied,
      reason: `${implied.basis} consent from ${implied.source} on ${implied.occurredAt}, valid until ${implied.expiresAt}`,
    };
  }
  if (revocation) {
    return {
      valid: false,
      basis: null,
      record: revocation,
      reason: `revoked ${revocation.occurredAt} (${revocation.channel}); only a new express opt-in restores consent`,
    };
  }
  if (implied) {
    return {
      valid: false,
      basis: null,
      record: implied,
      reason: `${implied.basis} consent expired ${implied.expiresAt}`,
    };
  }
  return { valid: false, basis: null, record: null, reason: 'no consent on record' };
}
