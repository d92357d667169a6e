import type pg from 'pg';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { parseLeadStreamId } from '../../events/streams.ts';

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

/** What the gate holds for one number: opted out or not, and the consent event that said so. */
export interface GateEntry {
  optedOut: boolean;
  /** The `ConsentRevoked` / express `ConsentGranted` last applied. */
  eventId: string;
}

/** The gate's entry for this tenant and number (E.164), or undefined when it holds none. */
export async function gateEntry(
  db: pg.ClientBase | pg.Pool,
  tenantId: string,
  phone: string,
): Promise<GateEntry | undefined> {
  const { rows } = await db.query<{ opted_out: boolean; event_id: string }>(
    'SELECT opted_out, event_id FROM consent_gate WHERE tenant_id = $1 AND phone = $2',
    [tenantId, phone],
  );
  return rows[0] && { optedOut: rows[0].opted_out, eventId: rows[0].event_id };
}

/** Whether the gate holds an opt-out for this tenant and number (E.164). */
export async function isOptedOut(
  db: pg.ClientBase | pg.Pool,
  tenantId: string,
  phone: string,
): Promise<boolean> {
  return (await gateEntry(db, tenantId, phone))?.optedOut ?? false;
}
