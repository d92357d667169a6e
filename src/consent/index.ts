/**
 * The consent module: the one home of consent (CASL, TCPA, CTIA). It owns the consent gate
 * (`gate/`: opt-outs, current the moment they are recorded), the consent ledger (`ledger/`:
 * the tamper-evident history, its hash chain, queries, export and verification), the pure
 * rules (`consent-at.ts`, `expiry.ts`), one-click unsubscribe links, and the one answer to
 * "may we text this number now?" ({@link consentFor}). Everything outside imports this file;
 * nobody else reads its tables (`consent_gate`, `consent_records`, `consent_chain_heads`,
 * `unsubscribe_links`).
 */
export {
  consentAnswer,
  consentFor,
  CONSENT_RULES,
  type ConsentAnswer,
  type ConsentStatus,
} from './consent-for.ts';
export { consentAt, type ConsentRecord, type ConsentVerdict } from './consent-at.ts';
export { consentExpiresAt, IMPLIED_CONSENT_PERIOD, type ConsentBasis } from './expiry.ts';
export { applyConsentChange, gateEntry, isOptedOut, type GateEntry } from './gate/gate.ts';
export { updateConsentGate } from './gate/update-gate.ts';
export { CONSENT_GATE_TABLES, consentGateProjection } from './gate/gate-projection.ts';
export { CONSENT_LEDGER_TABLES, consentLedgerProjection } from './ledger/ledger-projection.ts';
export { consentHistory, tenantLedger, type LedgerEntry } from './ledger/queries.ts';
export { EXPORT_COLUMNS, exportLedger, parseInstant } from './ledger/export.ts';
export { tenantsWithChains, verifyTenantChain, type ChainReport } from './ledger/verify.ts';
export { consentTimeline, revocationCount, type ConsentTimelineEntry } from './ledger/timeline.ts';
export {
  followUnsubscribeToken,
  mintUnsubscribeLink,
  recordUnsubscribeLinks,
  unsubscribeToken,
} from './unsubscribe-link.ts';
