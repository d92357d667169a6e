import type pg from 'pg';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { parseLeadStreamId } from '../../events/streams.ts';
import type { Consumer } from '../../log/event-log.ts';

/**
 * Applies one consent change to `consent_gate` (idempotent; a change older than the one held
 * is ignored, so replays and duplicates cannot re-open a revoked number). Implied grants do not
 * lift an opt-out: only an express opt-in does (CASL s.11; CTIA: START re-subscribes).
 */
export async function applyConsentChange(
  db: pg.ClientBase | pg.Pool,
  event: LeadlineEvent | RecordedLeadlineEvent,
): Promise<void> {
  if (event.type !== 'ConsentRevoked' && event.type !== 'ConsentGranted') return;
  if (event.type === 'ConsentGranted' && event.data.basis !== 'express') return;
  const lead = parseLeadStreamId(event.streamId);
  if (!lead) return;
  await db.query(
    `INSERT INTO consent_gate (tenant_id, phone, opted_out, changed_at, event_id)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, phone) DO UPDATE SET opted_out = EXCLUDED.opted_out,
       changed_at = EXCLUDED.changed_at, event_id = EXCLUDED.event_id
     WHERE consent_gate.changed_at <= EXCLUDED.changed_at`,
    [lead.tenantId, lead.phone, event.type === 'ConsentRevoked', event.occurredAt, event.id],
  );
}

/** Whether the gate holds an opt-out for this tenant and number (E.164). */
export async function isOptedOut(
  db: pg.ClientBase | pg.Pool,
  tenantId: string,
  phone: string,
): Promise<boolean> {
  const { rows } = await db.query<{ opted_out: boolean }>(
    'SELECT opted_out FROM consent_gate WHERE tenant_id = $1 AND phone = $2',
    [tenantId, phone],
  );
  return rows[0]?.opted_out ?? false;
}

/** Rebuilds `consent_gate` from the log (and keeps it current behind the direct writers). */
export const consentGateProjection: Consumer = {
  name: 'projection:consent-gate',
  async handle(event, { db }) {
    await applyConsentChange(db, event);
  },
};
