import type { Consumer } from '../../log/event-log.ts';
import { applyConsentChange } from './gate.ts';

/** The tables the consent gate owns (one row per tenant and number), for rebuilds. */
export const CONSENT_GATE_TABLES: readonly string[] = ['consent_gate'];

/** Rebuilds `consent_gate` from the log (and keeps it current behind the direct writers). */
export const consentGateProjection: Consumer = {
  name: 'projection:consent-gate',
  async handle(event, { db }) {
    await applyConsentChange(db, event);
  },
};
