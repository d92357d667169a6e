import type { Consumer } from '../../log/event-log.ts';
import { applyConsentChanges } from './gate.ts';

/** The tables the consent gate owns (one row per tenant and number), for rebuilds. */
export const CONSENT_GATE_TABLES: readonly string[] = ['consent_gate'];

/**
 * Rebuilds `consent_gate` from the log (and keeps it current behind the direct writers). A
 * batch is folded to one change per number and written in one statement; `handle` is a
 * batch of one.
 */
export const consentGateProjection: Consumer = {
  name: 'projection:consent-gate',
  // Re-derivable: the commands and the sender write each change to the gate themselves,
  // durably; the processor's own opinion (`lead_states`) withholds too.
  asyncCommit: true,
  eventTypes: new Set(['ConsentGranted', 'ConsentRevoked']),
  handle: (event, { db }) => applyConsentChanges(db, [event]),
  handleBatch: (events, { db }) => applyConsentChanges(db, events),
};
