import type pg from 'pg';
import { consentAt, type ConsentVerdict } from './consent-at.ts';
import type { ConsentBasis } from './expiry.ts';
import { COLUMNS, toEntry, type LedgerEntry, type Row } from './ledger/queries.ts';

/**
 * Where a number stands at an instant:
 * - `opted-out`: a revocation (STOP, a one-click link, the owner, the carrier's 21610) not
 *   lifted by a later express opt-in, by the consent gate or by the lead-conversation
 *   processor's state;
 * - `express`: express consent on the ledger, not revoked since;
 * - `implied`: implied consent on the ledger (an inquiry, a business relationship), not
 *   expired and not revoked;
 * - `none`: no opt-out, and no consent valid at that instant (never given, lapsed, or revoked
 *   on the ledger).
 */
export type ConsentStatus = 'opted-out' | 'express' | 'implied' | 'none';

/** The answer of {@link consentFor}: may a text go to this number now, and why. */
export interface ConsentAnswer {
  status: ConsentStatus;
  /**
   * The number opted out: no text that consent gates may go (a reply to the person's own call
   * or text included). Only the opt-out confirmation and HELP are exempt (CTIA §5.1).
   */
  optedOut: boolean;
  /**
   * A non-transactional text (a solicitation, e.g. a review request) may go: consent valid at
   * that instant on the ledger and no opt-out (CASL s.6(1)).
   */
  maySolicit: boolean;
  /** The ledger's basis relied on, when consent is valid. */
  basis: ConsentBasis | null;
  /** For people: the gate's opt-out, or the ledger's verdict (`express consent given …`). */
  reason: string;
  /** The rule the status rests on (CASL section, CTIA, FCC order). */
  rule: string;
  /** The ledger's own verdict at that instant (valid or not, with the record relied on). */
  ledger: ConsentVerdict;
}

/** The rule behind each status. */
export const CONSENT_RULES: Readonly<Record<ConsentStatus, string>> = {
  'opted-out':
    'revocation takes effect at once: CASL s.11(3); FCC 24-24, 47 CFR 64.1200(a)(10); CTIA Messaging Principles §5.1 (STOP)',
  express: 'express consent, valid until revoked: CASL s.10(1); TCPA prior express consent',
  implied:
    'implied consent, valid for its period: CASL s.10(9)(a), s.10(10) (6 months from an inquiry, 2 years from a purchase)',
  none: 'no commercial electronic message without consent: CASL s.6(1)',
};

/**
 * Whether a text may go to `phone` (E.164) of `tenantId` at instant `at`, and why: the one
 * consent answer, which the sender asks at send time. It reads:
 * - the consent gate (opt-outs, current the moment they are recorded, ordered by when each
 *   change occurred);
 * - the lead-conversation processor's opinion (`lead_states.opted_out`: the same consent
 *   events folded in log order, which is what decided the texts it queued). The two agree
 *   but for changes appended out of their order of occurrence, or a gate being rebuilt;
 *   either saying "opted out" is an opt-out, so a STOP always stops a queued text;
 * - the consent ledger (the history, for consent valid at `at`; `consentAt`).
 * An opt-out decides `opted-out`; otherwise the ledger's verdict decides `express`, `implied`
 * or `none`. All three are read in one statement (one round trip, one snapshot).
 * @throws whatever the database throws.
 */
export async function consentFor(
  db: pg.Pool | pg.ClientBase,
  tenantId: string,
  phone: string,
  at: Date,
): Promise<ConsentAnswer> {
  const { optedOut, history } = await consentInputs(db, tenantId, phone);
  return consentAnswer(optedOut, consentAt(history, at.toISOString()));
}

/**
 * The inputs of a consent answer, in one statement (one round trip, one snapshot): whether
 * the consent gate (`consent_gate`) or the lead-conversation processor's state of the lead
 * (`lead_states.opted_out`: true after `ConsentRevoked` until an express grant, folded in log
 * order; false for a lead it has not met) holds an opt-out, and the number's ledger for the
 * tenant in `seq` order (`consent_records`, as `consentHistory` reads it). The sender asks
 * this for every text it may send.
 */
async function consentInputs(
  db: pg.Pool | pg.ClientBase,
  tenantId: string,
  phone: string,
): Promise<{ optedOut: boolean; history: LedgerEntry[] }> {
  const { rows } = await db.query<
    Partial<Row> & { gate_opted_out: boolean | null; lead_opted_out: boolean | null }
  >(
    `SELECT (SELECT opted_out FROM consent_gate WHERE tenant_id = $1 AND phone = $2) AS gate_opted_out,
            (SELECT opted_out FROM lead_states WHERE tenant_id = $1 AND phone = $2) AS lead_opted_out,
            r.*
       FROM (VALUES (1)) AS one
       LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM consent_records
                           WHERE phone = $2 AND tenant_id = $1) AS r ON true
      ORDER BY r.seq`,
    [tenantId, phone],
  );
  const first = rows[0];
  return {
    optedOut: first?.gate_opted_out === true || first?.lead_opted_out === true,
    history: rows.filter((r) => r.seq != null).map((r) => toEntry(r as Row)),
  };
}

/**
 * The consent answer from its two inputs (pure): whether the number opted out, and the
 * ledger's verdict at the instant asked. An opt-out decides `opted-out` whatever the ledger
 * says; otherwise a valid verdict is `express` or `implied` by its basis, and an invalid one
 * `none`, with the ledger's reason.
 */
export function consentAnswer(optedOut: boolean, ledger: ConsentVerdict): ConsentAnswer {
  const status: ConsentStatus = optedOut
    ? 'opted-out'
    : !ledger.valid
      ? 'none'
      : ledger.basis === 'express'
        ? 'express'
        : 'implied';
  return {
    status,
    optedOut,
    maySolicit: status === 'express' || status === 'implied',
    basis: optedOut ? null : ledger.basis,
    reason: optedOut ? 'opted out: no text until an express opt-in' : ledger.reason,
    rule: CONSENT_RULES[status],
    ledger,
  };
}
