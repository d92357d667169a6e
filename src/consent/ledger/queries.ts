import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Readable } from 'node:stream';
import type { ConsentRecord } from '../consent-at.ts';
import type { ConsentBasis } from '../expiry.ts';

/** One record of the consent ledger as auditors see it. */
export interface LedgerEntry extends ConsentRecord {
  tenantId: string;
  seq: number;
  phone: string;
  text: string | null;
  evidence: Record<string, string>;
  /** Where the event sits in the log (adapter-specific). */
  logPosition: string;
  /** SHA-256 of the previous record of the tenant, and of this one (hex). */
  prevHash: string;
  recordHash: string;
}

/** A `consent_records` row as PostgreSQL returns it. */
export interface Row {
  tenant_id: string;
  seq: string;
  phone: string;
  event_id: string;
  log_position: string;
  kind: 'granted' | 'revoked';
  basis: ConsentBasis | null;
  source: string | null;
  channel: string | null;
  text: string | null;
  evidence: Record<string, string>;
  occurred_at: Date;
  expires_at: Date | null;
  prev_hash: string;
  record_hash: string;
}

/** A ledger row as an entry. */
export const toEntry = (r: Row): LedgerEntry => ({
  tenantId: r.tenant_id,
  seq: Number(r.seq),
  phone: r.phone,
  eventId: r.event_id,
  logPosition: r.log_position,
  kind: r.kind,
  basis: r.basis,
  source: r.source,
  channel: r.channel,
  text: r.text,
  evidence: r.evidence,
  occurredAt: r.occurred_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
  prevHash: r.prev_hash,
  recordHash: r.record_hash,
});

/** The columns every ledger read selects, in {@link Row}'s shape (unqualified). */
export const COLUMNS = `tenant_id, seq, phone, event_id, log_position, kind, basis, source, channel, text,
  evidence, occurred_at, expires_at, prev_hash, record_hash`;

/**
 * A number's consent history (E.164), oldest first: for one tenant, or for every tenant
 * (`tenantId` undefined; auditors), each tenant's records in ledger order.
 */
export async function consentHistory(
  db: pg.Pool | pg.ClientBase,
  phone: string,
  tenantId: string | undefined,
): Promise<LedgerEntry[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM consent_records
      WHERE phone = $1 AND ($2::text IS NULL OR tenant_id = $2)
      ORDER BY tenant_id, seq`,
    [phone, tenantId ?? null],
  );
  return rows.map(toEntry);
}

/** A tenant's whole ledger in `seq` order (for verification). */
export async function tenantLedger(
  db: pg.Pool | pg.ClientBase,
  tenantId: string,
): Promise<LedgerEntry[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM consent_records WHERE tenant_id = $1 ORDER BY seq`,
    [tenantId],
  );
  return rows.map(toEntry);
}

/**
 * Streams a tenant's ledger (or every tenant's) in ledger order, optionally limited to
 * records that occurred in `[from, to)` (UTC ISO-8601), through a server-side cursor (100 rows
 * at a time), so memory stays bounded whatever the size. Rows are {@link LedgerEntry} objects.
 * The caller must release `client` when the stream ends or fails.
 */
export function streamLedger(
  client: pg.PoolClient,
  filter: { tenantId?: string; from?: string; to?: string },
): Readable {
  const query = new QueryStream(
    `SELECT ${COLUMNS} FROM consent_records
      WHERE ($1::text IS NULL OR tenant_id = $1)
        AND ($2::timestamptz IS NULL OR occurred_at >= $2)
        AND ($3::timestamptz IS NULL OR occurred_at < $3)
      ORDER BY tenant_id, seq`,
    [filter.tenantId ?? null, filter.from ?? null, filter.to ?? null],
    { batchSize: 100 },
  );
  return client.query(query);
}
