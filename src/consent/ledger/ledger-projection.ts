import type { Consumer } from '../../log/event-log.ts';
import { canonical, chainHash, contentOf, GENESIS_HASH } from './chain.ts';

/** The tables the consent ledger owns (records and each tenant's chain head), for rebuilds. */
export const CONSENT_LEDGER_TABLES: readonly string[] = ['consent_records', 'consent_chain_heads'];

/**
 * The consent ledger projection: appends every `ConsentGranted` / `ConsentRevoked` to
 * `consent_records` with the next `seq` of its tenant and the hash of its content chained to
 * the tenant's previous record, and moves the tenant's chain head. Idempotent on event id (a
 * redelivered event is not chained twice). Serialised per tenant by locking its head row.
 */
export const consentLedgerProjection: Consumer = {
  name: 'projection:consent-ledger',
  async handle(event, { db }) {
    if (event.type !== 'ConsentGranted' && event.type !== 'ConsentRevoked') return;
    if (!event.tenantId) return;
    const seen = await db.query('SELECT 1 FROM consent_records WHERE event_id = $1', [event.id]);
    if (seen.rowCount) return;
    await db.query(
      `INSERT INTO consent_chain_heads (tenant_id, seq, record_hash) VALUES ($1, 0, $2)
       ON CONFLICT (tenant_id) DO NOTHING`,
      [event.tenantId, GENESIS_HASH],
    );
    const head = await db.query<{ seq: string; record_hash: string }>(
      'SELECT seq, record_hash FROM consent_chain_heads WHERE tenant_id = $1 FOR UPDATE',
      [event.tenantId],
    );
    const seq = Number(head.rows[0]!.seq) + 1;
    const prevHash = head.rows[0]!.record_hash;
    const content = contentOf(event);
    const text = canonical(content);
    const hash = chainHash(prevHash, text);
    await db.query(
      `INSERT INTO consent_records (tenant_id, seq, phone, event_id, log_position, kind, basis,
         source, channel, text, evidence, occurred_at, expires_at, content, prev_hash, record_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        event.tenantId,
        seq,
        content.phone,
        event.id,
        event.position,
        content.kind,
        content.basis,
        content.source,
        content.channel,
        content.text,
        JSON.stringify(content.evidence),
        content.occurredAt,
        content.expiresAt,
        text,
        prevHash,
        hash,
      ],
    );
    await db.query(
      'UPDATE consent_chain_heads SET seq = $2, record_hash = $3 WHERE tenant_id = $1',
      [event.tenantId, seq, hash],
    );
  },
};
