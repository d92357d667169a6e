import type pg from 'pg';
import {
  emptyRows,
  holdMessage,
  rowKey,
  type CallRow,
  type DashboardRows,
  type LeadRow,
  type LeadQualificationView,
  type MessageRow,
  type NeededRows,
} from './dashboard-fold.ts';
import { leadRef } from '../../rules/lead-ref.ts';

/**
 * `pairs`, each once, as the JSON text {@link keysFrom} reads. Keys go to PostgreSQL as one
 * JSON document rather than `text[]` arrays: V8 writes JSON natively, where node-postgres
 * escapes every array element in JavaScript, and the planner, which cannot see how many keys
 * a JSON document holds, keeps to index look-ups instead of hashing the whole table (a batch
 * of 10,000 events names thousands of keys, nearly all of rows not written yet). Measured on
 * 4,800 keys: 73 ms as arrays, 13 ms as JSON.
 */
function keysJson(pairs: ReadonlyArray<[string, string]>): string {
  const seen = new Set<string>();
  const distinct: Array<[string, string]> = [];
  for (const pair of pairs) {
    const key = rowKey(pair[0], pair[1]);
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(pair);
  }
  return JSON.stringify(distinct);
}

/** The (tenant_id, `id`) rows of the JSON `[[tenant, id], …]` in parameter `param`. */
const keysFrom = (param: string, id: string): string =>
  `(SELECT k->>0 AS tenant_id, k->>1 AS ${id} FROM json_array_elements(${param}::json) AS k)`;
const isoOrNull = (at: Date | null): string | null => (at ? at.toISOString() : null);

/**
 * Reads, in four queries whatever the batch's size, the dashboard rows `needed` names that
 * exist. Not locked: the projection is the only writer of its tables, and one reader at a
 * time holds a consumer (its advisory lock; on Kafka, the partition's offset row) and each
 * row belongs to one lead's stream.
 */
export async function loadDashboardRows(
  db: pg.ClientBase,
  needed: NeededRows,
): Promise<DashboardRows> {
  const rows = emptyRows();
  // One query after another: a transaction's client runs one at a time.
  const calls =
    needed.calls.length === 0
      ? undefined
      : await db.query<{
          tenant_id: string;
          call_sid: string;
          phone: string;
          received_at: Date;
          mode: string;
          outcome: string;
          dial_call_status: string | null;
          first_text_at: Date | null;
        }>(
          `SELECT c.tenant_id, c.call_sid, c.phone, c.received_at, c.mode, c.outcome,
                  c.dial_call_status, c.first_text_at
             FROM dashboard_calls c
             JOIN ${keysFrom('$1', 'call_sid')} AS k
               ON c.tenant_id = k.tenant_id AND c.call_sid = k.call_sid`,
          [keysJson(needed.calls)],
        );
  const leads =
    needed.leads.length === 0
      ? undefined
      : await db.query<{
          tenant_id: string;
          phone: string;
          ref: number | null;
          first_seen_at: Date;
          last_contact_at: Date;
          calls: number;
          missed_calls: number;
          messages_in: number;
          messages_out: number;
          opted_out: boolean;
          status: string;
          status_changed_at: Date | null;
          intent: string | null;
          emergencies: number;
          qualification: LeadQualificationView | null;
          outside_area: boolean;
        }>(
          `SELECT l.tenant_id, l.phone, l.ref, l.first_seen_at, l.last_contact_at, l.calls,
                  l.missed_calls, l.messages_in, l.messages_out, l.opted_out, l.status,
                  l.status_changed_at, l.intent, l.emergencies, l.qualification, l.outside_area
             FROM dashboard_leads l
             JOIN ${keysFrom('$1', 'phone')} AS k
               ON l.tenant_id = k.tenant_id AND l.phone = k.phone`,
          [keysJson(needed.leads)],
        );
  const messages = await loadMessages(db, 'm.message_key', needed.messageKeys);
  // Status callbacks that name only a MessageSid: by the Sid's own index, after the keys.
  const bySid = await loadMessages(db, 'm.message_sid', needed.messageSids);
  for (const r of calls?.rows ?? []) {
    rows.calls.set(rowKey(r.tenant_id, r.call_sid), {
      tenantId: r.tenant_id,
      callSid: r.call_sid,
      phone: r.phone,
      receivedAt: r.received_at.toISOString(),
      mode: r.mode,
      outcome: r.outcome,
      dialCallStatus: r.dial_call_status,
      firstTextAt: isoOrNull(r.first_text_at),
    });
  }
  for (const r of leads?.rows ?? []) {
    const key = rowKey(r.tenant_id, r.phone);
    // Null in a row a worker of the previous version made during an upgrade (migration
    // `20261129090000000`): marked changed, so this batch's write gives it its reference.
    if (r.ref === null) rows.changed.leads.add(key);
    rows.leads.set(key, {
      tenantId: r.tenant_id,
      phone: r.phone,
      ref: r.ref ?? Number(leadRef(r.tenant_id, r.phone)),
      firstSeenAt: r.first_seen_at.toISOString(),
      lastContactAt: r.last_contact_at.toISOString(),
      calls: r.calls,
      missedCalls: r.missed_calls,
      messagesIn: r.messages_in,
      messagesOut: r.messages_out,
      optedOut: r.opted_out,
      status: r.status,
      statusChangedAt: isoOrNull(r.status_changed_at),
      intent: r.intent,
      emergencies: r.emergencies,
      qualification: r.qualification,
      outsideArea: r.outside_area,
    });
  }
  for (const r of [...messages, ...bySid]) {
    holdMessage(rows, {
      tenantId: r.tenant_id,
      messageKey: r.message_key,
      direction: r.direction,
      audience: r.audience,
      purpose: r.purpose,
      phone: r.phone,
      counterpart: r.counterpart,
      body: r.body,
      status: r.status,
      messageSid: r.message_sid,
      error: r.error,
      at: r.at.toISOString(),
      eventPosition: r.event_position,
      urgency: r.urgency,
    });
  }
  return rows;
}

interface MessageRecord {
  tenant_id: string;
  message_key: string;
  direction: 'inbound' | 'outbound';
  audience: string | null;
  purpose: string | null;
  phone: string;
  counterpart: string;
  body: string;
  status: string;
  message_sid: string | null;
  error: string | null;
  at: Date;
  event_position: string | null;
  urgency: string | null;
}

/** Messages whose tenant and `column` (message key or Sid) are among `pairs` (not locked). */
async function loadMessages(
  db: pg.ClientBase,
  column: 'm.message_key' | 'm.message_sid',
  pairs: ReadonlyArray<[string, string]>,
): Promise<MessageRecord[]> {
  if (pairs.length === 0) return [];
  const { rows } = await db.query<MessageRecord>(
    `SELECT m.tenant_id, m.message_key, m.direction, m.audience, m.purpose, m.phone,
            m.counterpart, m.body, m.status, m.message_sid, m.error, m.at, m.event_position,
            m.urgency
       FROM dashboard_messages m
       JOIN ${keysFrom('$1', 'id')} AS k
         ON m.tenant_id = k.tenant_id AND ${column} = k.id`,
    [keysJson(pairs)],
  );
  return rows;
}

const changedRows = <T>(map: Map<string, T>, keys: Set<string>): T[] =>
  [...keys].map((k) => map.get(k)!);

/** Who to tell, on commit, that the dashboard changed: `pg_notify(channel, tenantId)` each. */
export interface DashboardNotice {
  channel: string;
  /** Tenant ids, each once. */
  tenants: readonly string[];
}

/**
 * Writes every row the fold changed, each once whatever the number of events that touched
 * it, and sends `notice` (delivered on commit), in **one statement**: a multi-row upsert per
 * table from `unnest` arrays, each a data-modifying CTE, and the NOTIFYs as its main query.
 * A live batch is a handful of events, so round trips, not rows, are its cost: one statement
 * instead of up to four. A table with nothing changed gets empty arrays (no row, no plan
 * worth measuring). Nothing is sent when no row changed and nobody is to be told.
 */
export async function saveDashboardRows(
  db: pg.ClientBase,
  rows: DashboardRows,
  notice?: DashboardNotice,
): Promise<void> {
  const calls = changedRows<CallRow>(rows.calls, rows.changed.calls);
  const leads = changedRows<LeadRow>(rows.leads, rows.changed.leads);
  const messages = changedRows<MessageRow>(rows.messages, rows.changed.messages);
  const tenants = notice?.tenants ?? [];
  if (calls.length + leads.length + messages.length + tenants.length === 0) return;
  await db.query(
    `WITH calls AS (
       INSERT INTO dashboard_calls (tenant_id, call_sid, phone, received_at, mode, outcome,
         dial_call_status, first_text_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[],
         $6::text[], $7::text[], $8::timestamptz[])
       ON CONFLICT (tenant_id, call_sid) DO UPDATE SET outcome = EXCLUDED.outcome,
         dial_call_status = EXCLUDED.dial_call_status, first_text_at = EXCLUDED.first_text_at
     ), leads AS (
       INSERT INTO dashboard_leads (tenant_id, phone, first_seen_at, last_contact_at, calls,
         missed_calls, messages_in, messages_out, opted_out, status, status_changed_at, intent,
         emergencies, qualification, outside_area, ref)
       SELECT * FROM unnest($9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[],
         $13::int[], $14::int[], $15::int[], $16::int[], $17::boolean[], $18::text[],
         $19::timestamptz[], $20::text[], $21::int[], $22::jsonb[], $23::boolean[], $40::int[])
       ON CONFLICT (tenant_id, phone) DO UPDATE SET ref = EXCLUDED.ref,
         last_contact_at = EXCLUDED.last_contact_at,
         calls = EXCLUDED.calls, missed_calls = EXCLUDED.missed_calls,
         messages_in = EXCLUDED.messages_in, messages_out = EXCLUDED.messages_out,
         opted_out = EXCLUDED.opted_out, status = EXCLUDED.status,
         status_changed_at = EXCLUDED.status_changed_at, intent = EXCLUDED.intent,
         emergencies = EXCLUDED.emergencies, qualification = EXCLUDED.qualification,
         outside_area = EXCLUDED.outside_area
     ), messages AS (
       INSERT INTO dashboard_messages (tenant_id, message_key, direction, audience, purpose,
         phone, counterpart, body, status, message_sid, error, at, event_position, urgency)
       SELECT * FROM unnest($24::text[], $25::text[], $26::text[], $27::text[], $28::text[],
         $29::text[], $30::text[], $31::text[], $32::text[], $33::text[], $34::text[],
         $35::timestamptz[], $36::text[], $37::text[])
       ON CONFLICT (tenant_id, message_key) DO UPDATE SET audience = EXCLUDED.audience,
         purpose = EXCLUDED.purpose, counterpart = EXCLUDED.counterpart, body = EXCLUDED.body,
         status = EXCLUDED.status, message_sid = EXCLUDED.message_sid, error = EXCLUDED.error,
         at = EXCLUDED.at, event_position = EXCLUDED.event_position
     )
     SELECT pg_notify($38, tenant_id) FROM unnest($39::text[]) AS tenant_id`,
    [
      calls.map((c) => c.tenantId),
      calls.map((c) => c.callSid),
      calls.map((c) => c.phone),
      calls.map((c) => c.receivedAt),
      calls.map((c) => c.mode),
      calls.map((c) => c.outcome),
      calls.map((c) => c.dialCallStatus),
      calls.map((c) => c.firstTextAt),
      leads.map((l) => l.tenantId),
      leads.map((l) => l.phone),
      leads.map((l) => l.firstSeenAt),
      leads.map((l) => l.lastContactAt),
      leads.map((l) => l.calls),
      leads.map((l) => l.missedCalls),
      leads.map((l) => l.messagesIn),
      leads.map((l) => l.messagesOut),
      leads.map((l) => l.optedOut),
      leads.map((l) => l.status),
      leads.map((l) => l.statusChangedAt),
      leads.map((l) => l.intent),
      leads.map((l) => l.emergencies),
      leads.map((l) => (l.qualification ? JSON.stringify(l.qualification) : null)),
      leads.map((l) => l.outsideArea),
      messages.map((m) => m.tenantId),
      messages.map((m) => m.messageKey),
      messages.map((m) => m.direction),
      messages.map((m) => m.audience),
      messages.map((m) => m.purpose),
      messages.map((m) => m.phone),
      messages.map((m) => m.counterpart),
      messages.map((m) => m.body),
      messages.map((m) => m.status),
      messages.map((m) => m.messageSid),
      messages.map((m) => m.error),
      messages.map((m) => m.at),
      messages.map((m) => m.eventPosition),
      messages.map((m) => m.urgency),
      notice?.channel ?? '',
      tenants,
      leads.map((l) => l.ref),
    ],
  );
}
