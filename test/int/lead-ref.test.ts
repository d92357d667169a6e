import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { leadRef } from '../../src/rules/lead-ref.ts';
import {
  loadDashboardRows,
  saveDashboardRows,
} from '../../src/projections/dashboard/dashboard-rows.ts';
import { createTestDatabase, dropTestDatabase } from '../support/database.ts';

/**
 * `dashboard_leads.ref` was computed by PostgreSQL (a generated column) until migration
 * `20261129090000000_dashboard-leads-ref-written.sql`; since then the projection writes what
 * `leadRef` computes. Leads written before and after must carry the same reference for the
 * same lead, or a staff text naming an older lead by its `#ref` finds nothing.
 */
describe("a lead's reference, as SQL computed it and as the projection now writes it", () => {
  let url: string;
  let pool: pg.Pool;
  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new pg.Pool(clientConfig(url));
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
  });

  it('is the same for 1,000 leads of several tenants', async () => {
    const tenants = ['t-1', '0d7f6a1e-5b8c-4e21-9a57-2f1c7d9b8e60', 'Ünïcode tenant'];
    const pairs = tenants.flatMap((tenant) =>
      Array.from({ length: 334 }, (_, i) => [tenant, `+1647555${String(i * 29).padStart(4, '0')}`]),
    );
    const { rows } = await pool.query<{ ref: number }>(
      `SELECT 1000 + (('x' || substr(encode(sha256((t || ':' || p)::bytea), 'hex'), 1, 8))
                ::bit(32)::bigint % 9000)::integer AS ref
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(t, p, n) ORDER BY n`,
      [pairs.map(([t]) => t), pairs.map(([, p]) => p)],
    );
    expect(rows.map((r) => String(r.ref))).toEqual(pairs.map(([t, p]) => leadRef(t!, p!)));
  });

  it("is given to a lead an older worker made without one, at the lead's next batch", async () => {
    const tenant = 't-upgrade';
    const phone = '+16475550123';
    // As a worker of the version before the migration inserts a lead: no `ref` named.
    await pool.query(
      `INSERT INTO dashboard_leads (tenant_id, phone, first_seen_at, last_contact_at)
       VALUES ($1, $2, now(), now())`,
      [tenant, phone],
    );
    const client = await pool.connect();
    try {
      const rows = await loadDashboardRows(client, {
        calls: [],
        leads: [[tenant, phone]],
        messageKeys: [],
        messageSids: [],
      });
      // The batch changes nothing of the lead itself (a status callback, say).
      await saveDashboardRows(client, rows);
    } finally {
      client.release();
    }
    const { rows: stored } = await pool.query<{ ref: number | null }>(
      'SELECT ref FROM dashboard_leads WHERE tenant_id = $1 AND phone = $2',
      [tenant, phone],
    );
    expect(stored).toEqual([{ ref: Number(leadRef(tenant, phone)) }]);
  });

  it('is a plain column the projection writes (no longer generated)', async () => {
    const { rows } = await pool.query<{ generated: string }>(
      `SELECT attgenerated AS generated FROM pg_attribute
        WHERE attrelid = 'dashboard_leads'::regclass AND attname = 'ref'`,
    );
    expect(rows).toEqual([{ generated: '' }]);
  });
});
