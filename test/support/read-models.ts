import type { OpenedLog } from './log-backends.ts';

/** Every read model and processor state table, with the order that makes two comparable. */
export const READ_MODELS: Record<string, string> = {
  tenants: 'tenant_id',
  dashboard_calls: 'tenant_id, call_sid',
  dashboard_leads: 'tenant_id, phone',
  dashboard_messages: 'tenant_id, message_key',
  consent_gate: 'tenant_id, phone',
  consent_records: 'tenant_id, seq',
  consent_chain_heads: 'tenant_id',
  lead_states: 'tenant_id, phone',
  outbound_messages: 'dedupe_key',
  timers: 'timer_id',
};

/** Columns that depend on the wall clock (or the process's trace), left out of comparisons. */
const WALL_CLOCK = ['created_at', 'updated_at', 'next_attempt_at', 'traceparent', 'registered_at'];

/**
 * Every table of {@link READ_MODELS} as JSON rows, without wall-clock columns and with the
 * Kafka topic prefix replaced, so the state two logs or two runs built can be compared.
 * `unchained`: compare consent records by event, without their place in the hash chain (on
 * Kafka, consent events from different partitions may be chained in another order).
 */
export async function readModels(
  opened: OpenedLog,
  { unchained = false }: { unchained?: boolean } = {},
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(READ_MODELS)) {
    const unchain = unchained && table.startsWith('consent_');
    const { rows } = await opened.pool.query<{ row: unknown }>(
      `SELECT to_jsonb(t) - $1::text[] AS row FROM ${table} t
        ORDER BY ${unchain && table === 'consent_records' ? 'event_id' : order}`,
      [unchain ? [...WALL_CLOCK, 'seq', 'prev_hash', 'record_hash'] : WALL_CLOCK],
    );
    const text = JSON.stringify(rows.map((r) => r.row));
    out[table] = JSON.parse(
      opened.positionPrefix ? text.replaceAll(opened.positionPrefix, '<prefix>') : text,
    );
  }
  return out;
}
