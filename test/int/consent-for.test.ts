import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyConsentChange,
  consentFor,
  consentLedgerProjection,
} from '../../src/consent/index.ts';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from '../support/database.ts';
import { consentEvent, CountingPool } from '../support/consent-events.ts';

const TENANT = 'tnt_consent_for';
let phoneSeq = 0;
const nextPhone = () => `+1416555${String(3000 + ++phoneSeq)}`;
let position = 0;

/** A consent event of `phone`, as the log would deliver it. */
const delivered = (
  kind: 'implied' | 'express' | 'revoke',
  phone: string,
  at: Date,
): RecordedLeadlineEvent =>
  ({
    ...consentEvent(kind, TENANT, phone, at),
    position: String(++position),
  }) as RecordedLeadlineEvent;

describe('consentFor, the answer the sender asks before every text', () => {
  let pool: CountingPool;

  beforeAll(async () => {
    pool = new CountingPool({ connectionString: await createTestDatabase(), max: 2 });
  });
  afterAll(async () => {
    await pool.end();
  });

  /** Records `events` on the ledger as its projection does (one transaction). */
  async function onLedger(...events: RecordedLeadlineEvent[]): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await consentLedgerProjection.handleBatch!(events, {
        db: client,
        replay: false,
        log: silentLogger,
      });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  it('answers none for a number nobody has heard of, in one statement', async () => {
    const before = pool.statements;
    const answer = await consentFor(pool, TENANT, nextPhone(), new Date());
    expect(pool.statements - before).toBe(1);
    expect(answer).toMatchObject({ status: 'none', optedOut: false, maySolicit: false });
  });

  it('reads the ledger in order: an inquiry implies consent, a later STOP revokes it', async () => {
    const phone = nextPhone();
    const start = new Date(Date.now() - 3_600_000);
    await onLedger(delivered('implied', phone, start));
    const implied = await consentFor(pool, TENANT, phone, new Date());
    expect(implied).toMatchObject({
      status: 'implied',
      maySolicit: true,
      basis: 'implied-inquiry',
    });

    const stop = delivered('revoke', phone, new Date(start.getTime() + 60_000));
    await onLedger(stop);
    await applyConsentChange(pool, stop);
    const before = pool.statements;
    const revoked = await consentFor(pool, TENANT, phone, new Date());
    expect(pool.statements - before).toBe(1);
    expect(revoked).toMatchObject({ status: 'opted-out', optedOut: true, maySolicit: false });
    // Before the STOP, the ledger's answer at that instant still holds.
    const earlier = await consentFor(pool, TENANT, phone, new Date(start.getTime() + 30_000));
    expect(earlier.ledger.valid).toBe(true);
  });

  it("withholds on the lead-conversation processor's opt-out even when the gate has none", async () => {
    const phone = nextPhone();
    await onLedger(delivered('express', phone, new Date(Date.now() - 60_000)));
    expect((await consentFor(pool, TENANT, phone, new Date())).status).toBe('express');
    await pool.query(
      `INSERT INTO lead_states (tenant_id, phone, state, opted_out) VALUES ($1, $2, '{}', true)`,
      [TENANT, phone],
    );
    expect(await consentFor(pool, TENANT, phone, new Date())).toMatchObject({
      status: 'opted-out',
      optedOut: true,
    });
  });

  it('withholds on the gate alone, and only for that tenant', async () => {
    const phone = nextPhone();
    await applyConsentChange(pool, delivered('revoke', phone, new Date()));
    expect((await consentFor(pool, TENANT, phone, new Date())).status).toBe('opted-out');
    expect((await consentFor(pool, 'tnt_someone_else', phone, new Date())).status).toBe('none');
  });
});
