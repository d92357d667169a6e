import type pg from 'pg';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { parseLeadStreamId } from '../../events/streams.ts';
import { CONSENT_GATE_CHANNEL } from './gate-channel.ts';

/** An event `applyConsentChanges` is given: as appended, or as read back from a log. */
type AnyEvent = LeadlineEvent | RecordedLeadlineEvent;

/**
 * The change one consent event makes to a row of `consent_gate` (one row per tenant and
 * number), before it is weighed against the row held.
 */
export interface GateChange {
  tenantId: string;
  /** E.164. */
  phone: string;
  optedOut: boolean;
  /** The event's `occurredAt`, as written to `changed_at` (ISO-8601). */
  changedAt: string;
  /** `changedAt` as an instant: microseconds since the epoch (PostgreSQL's precision). */
  changedAtMicros: number;
  eventId: string;
}

/**
 * An ISO-8601 time as microseconds since the epoch (pure), the precision `timestamptz` keeps:
 * whatever the offset it is written with, and digits past the millisecond (which `Date`
 * drops) rounded to the microsecond as PostgreSQL does.
 * @throws Error when `iso` is not a time.
 */
export function instantMicros(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${JSON.stringify(iso)}`);
  const fraction = /T\d{2}:\d{2}:\d{2}[.,](\d+)/.exec(iso)?.[1] ?? '';
  const beyondMs = fraction.length > 3 ? Number(`0.${fraction.slice(3)}`) : 0;
  return ms * 1000 + Math.round(beyondMs * 1000);
}

/**
 * The gate change one event makes (pure), or undefined when it makes none: only a
 * `ConsentRevoked` or an express `ConsentGranted` on a lead stream counts. Implied grants do
 * not lift an opt-out: only an express opt-in does (CASL s.11; CTIA: START re-subscribes).
 */
export function gateChangeOf(event: AnyEvent): GateChange | undefined {
  if (event.type !== 'ConsentRevoked' && event.type !== 'ConsentGranted') return undefined;
  if (event.type === 'ConsentGranted' && event.data.basis !== 'express') return undefined;
  const lead = parseLeadStreamId(event.streamId);
  if (!lead) return undefined;
  return {
    tenantId: lead.tenantId,
    phone: lead.phone,
    optedOut: event.type === 'ConsentRevoked',
    changedAt: event.occurredAt,
    changedAtMicros: instantMicros(event.occurredAt),
    eventId: event.id,
  };
}

/**
 * Folds consent events, in order, into the last change per tenant and number (pure), as
 * applying them one at a time would leave it: a change older than the one held is ignored,
 * one at the same instant or later replaces it (so of equal times the later event wins).
 * Sorted by tenant and number, the order rows are written (and locked) in.
 */
export function foldGateChanges(events: readonly AnyEvent[]): GateChange[] {
  const held = new Map<string, GateChange>();
  for (const event of events) {
    const change = gateChangeOf(event);
    if (!change) continue;
    const key = `${change.tenantId}\u0000${change.phone}`;
    const current = held.get(key);
    if (!current || current.changedAtMicros <= change.changedAtMicros) held.set(key, change);
  }
  return [...held.values()].sort(
    (a, b) => compare(a.tenantId, b.tenantId) || compare(a.phone, b.phone),
  );
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Applies consent changes, in order, to `consent_gate` in one statement (none when no event
 * is a change): each number's last change (see {@link foldGateChanges}) is upserted unless
 * the row held is newer, and each row changed is announced on `leadline_consent_gate` at
 * commit (`<tenantId>\t<phone>`: the webhook path's memory of the gate, `gate-memory.ts`). Idempotent; a change older than the one held is ignored, so replays
 * and duplicates cannot re-open a revoked number. Leaves exactly what
 * {@link applyConsentChange} for each event in turn would.
 */
export async function applyConsentChanges(
  db: pg.ClientBase | pg.Pool,
  events: readonly AnyEvent[],
): Promise<void> {
  const changes = foldGateChanges(events);
  if (changes.length === 0) return;
  await db.query(
    `WITH changed AS (
       INSERT INTO consent_gate (tenant_id, phone, opted_out, changed_at, event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::timestamptz[], $5::uuid[])
       ON CONFLICT (tenant_id, phone) DO UPDATE SET opted_out = EXCLUDED.opted_out,
         changed_at = EXCLUDED.changed_at, event_id = EXCLUDED.event_id
       WHERE consent_gate.changed_at <= EXCLUDED.changed_at
       RETURNING tenant_id, phone)
     SELECT pg_notify('${CONSENT_GATE_CHANNEL}', tenant_id || E'\t' || phone) FROM changed`,
    [
      changes.map((c) => c.tenantId),
      changes.map((c) => c.phone),
      changes.map((c) => c.optedOut),
      changes.map((c) => c.changedAt),
      changes.map((c) => c.eventId),
    ],
  );
}

/**
 * Applies one consent change to `consent_gate` (see {@link applyConsentChanges}; idempotent,
 * a change older than the one held is ignored).
 */
export async function applyConsentChange(
  db: pg.ClientBase | pg.Pool,
  event: AnyEvent,
): Promise<void> {
  await applyConsentChanges(db, [event]);
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
