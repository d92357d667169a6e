/**
 * The channel `consent_gate` writers NOTIFY on commit, with {@link gateKey} of each row they
 * changed (`applyConsentChanges` in `gate.ts`); the webhook path's memory of the gate
 * (`gate-memory.ts`) listens.
 */
export const CONSENT_GATE_CHANNEL = 'leadline_consent_gate';

/**
 * The key of one `consent_gate` row, as {@link CONSENT_GATE_CHANNEL} carries it:
 * `<tenantId>\t<phone>` (E.164; neither contains a tab).
 */
export const gateKey = (tenantId: string, phone: string): string => `${tenantId}\t${phone}`;
