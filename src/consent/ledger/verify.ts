import type pg from 'pg';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { leadStreamId } from '../../events/streams.ts';
import type { EventLog } from '../../log/event-log.ts';
import { tenantLedger, type LedgerEntry } from './queries.ts';
import { canonical, chainHash, contentOf, GENESIS_HASH, type ConsentContent } from './chain.ts';

/** The outcome of verifying one tenant's consent chain. */
export interface ChainReport {
  tenantId: string;
  records: number;
  ok: boolean;
  /** The first problem found, naming the record (seq and event id); absent when ok. */
  problem?: { seq: number; eventId: string | null; reason: string };
}

const contentOfEntry = (e: LedgerEntry): ConsentContent => ({
  eventId: e.eventId,
  tenantId: e.tenantId,
  phone: e.phone,
  kind: e.kind,
  basis: e.basis,
  source: e.source,
  channel: e.channel,
  text: e.text,
  evidence: e.evidence,
  occurredAt: e.occurredAt,
  expiresAt: e.expiresAt,
});

/**
 * Verifies a tenant's consent ledger against its hash chain and against the log, and names
 * the first record that differs:
 * - `seq` must run 1, 2, 3 … (a gap is a deleted record);
 * - each record's `prev_hash` must be the previous record's hash (records swapped or moved);
 * - each record's hash must be `sha256(prev_hash, its content)` (a record edited);
 * - each record's content must equal the event the log holds for it, and every consent event
 *   of the numbers in the ledger must have a record (the projection altered or incomplete);
 * - the chain head must name the last record (the last one deleted).
 */
export async function verifyTenantChain(
  db: pg.Pool,
  log: EventLog,
  tenantId: string,
): Promise<ChainReport> {
  const rows = await tenantLedger(db, tenantId);
  const fail = (seq: number, eventId: string | null, reason: string): ChainReport => ({
    tenantId,
    records: rows.length,
    ok: false,
    problem: { seq, eventId, reason },
  });
  const streams = new Map<string, RecordedLeadlineEvent[]>();
  const eventsOf = async (phone: string) => {
    let events = streams.get(phone);
    if (!events) {
      events = (await log.read(leadStreamId(tenantId, phone))).filter(
        (e) => e.type === 'ConsentGranted' || e.type === 'ConsentRevoked',
      );
      streams.set(phone, events);
    }
    return events;
  };

  let prev = GENESIS_HASH;
  const recorded = new Set<string>();
  for (const [index, row] of rows.entries()) {
    const seq = row.seq;
    if (seq !== index + 1) return fail(index + 1, null, `record ${index + 1} is missing (deleted)`);
    if (row.prevHash !== prev) {
      return fail(
        seq,
        row.eventId,
        `does not follow record ${seq - 1} (moved, or the chain was altered)`,
      );
    }
    const content = contentOfEntry(row);
    if (chainHash(prev, canonical(content)) !== row.recordHash) {
      return fail(seq, row.eventId, 'its content does not match its hash (edited)');
    }
    const event = (await eventsOf(row.phone)).find((e) => e.id === row.eventId);
    if (!event) return fail(seq, row.eventId, 'the log holds no such event');
    const fromLog = contentOf(event as Parameters<typeof contentOf>[0]);
    if (canonical(fromLog) !== canonical(content)) {
      return fail(seq, row.eventId, 'differs from the event in the log');
    }
    recorded.add(row.eventId);
    prev = row.recordHash;
  }
  const head = await db.query<{ seq: string; record_hash: string }>(
    'SELECT seq, record_hash FROM consent_chain_heads WHERE tenant_id = $1',
    [tenantId],
  );
  const headSeq = Number(head.rows[0]?.seq ?? 0);
  if (headSeq !== rows.length || (head.rows[0]?.record_hash ?? GENESIS_HASH) !== prev) {
    return fail(
      headSeq,
      null,
      `the chain head names record ${headSeq}, the ledger ends at record ${rows.length} (deleted)`,
    );
  }
  for (const [, events] of streams) {
    const missing = events.find((e) => !recorded.has(e.id));
    if (missing) {
      return fail(rows.length + 1, missing.id, `the log's ${missing.type} has no record (deleted)`);
    }
  }
  return { tenantId, records: rows.length, ok: true };
}

/** The tenants (ids, sorted) whose consent ledger has a hash chain to verify. */
export async function tenantsWithChains(db: pg.Pool | pg.ClientBase): Promise<string[]> {
  const { rows } = await db.query<{ tenant_id: string }>(
    'SELECT tenant_id FROM consent_chain_heads ORDER BY tenant_id',
  );
  return rows.map((r) => r.tenant_id);
}
