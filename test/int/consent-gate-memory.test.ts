import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConsentChange } from '../../src/consent/index.ts';
import { CONSENT_GATE_CHANNEL } from '../../src/consent/gate/gate-channel.ts';
import { ConsentGateMemory } from '../../src/consent/gate/gate-memory.ts';
import { Wakeups } from '../../src/db/wakeups.ts';
import { fixedClock, systemClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from '../support/database.ts';
import { consentEvent, CountingPool } from '../support/consent-events.ts';

const TENANT = 'tnt_gate_memory';
let phoneSeq = 0;
const nextPhone = () => `+1416555${String(2000 + ++phoneSeq)}`;

/** A STOP (`ConsentRevoked`) or START (express `ConsentGranted`) for `phone`, at `at`. */
const consentChange = (kind: 'revoke' | 'grant', phone: string, at: Date) =>
  consentEvent(kind === 'grant' ? 'express' : 'revoke', TENANT, phone, at);

/** Polls `check` every 20 ms until it is true; false after `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return false;
}

describe('the consent gate answered from memory (the webhook path)', () => {
  let url: string;
  let pool: CountingPool;
  let other: pg.Pool;
  let changes: Wakeups;
  let memory: ConsentGateMemory;

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new CountingPool({ connectionString: url, max: 2 });
    other = new pg.Pool({ connectionString: url, max: 2 });
    memory = new ConsentGateMemory({ db: pool, clock: systemClock });
    changes = new Wakeups(url, CONSENT_GATE_CHANNEL, silentLogger);
    memory.follow(changes);
    await changes.start();
  });
  afterAll(async () => {
    memory?.stop();
    await changes?.close();
    await pool?.end();
    await other?.end();
  });

  it('reads each number once: a conversation costs one gate lookup, not one per text', async () => {
    const phone = nextPhone();
    await applyConsentChange(other, consentChange('revoke', phone, new Date()));
    await sleep(300); // its notification has come and gone
    const before = pool.statements;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await memory.isOptedOut(TENANT, phone));
    expect(answers).toEqual([true, true, true, true, true]);
    expect(pool.statements - before).toBe(1);
  });

  it('sees an opt-out another process records within moments (NOTIFY), and an opt-in after it', async () => {
    const phone = nextPhone();
    expect(await memory.isOptedOut(TENANT, phone)).toBe(false);
    await applyConsentChange(other, consentChange('revoke', phone, new Date()));
    expect(await eventually(() => memory.isOptedOut(TENANT, phone))).toBe(true);
    await applyConsentChange(other, consentChange('grant', phone, new Date(Date.now() + 1)));
    expect(await eventually(async () => !(await memory.isOptedOut(TENANT, phone)))).toBe(true);
  });

  it('forgets everything when its LISTEN connection comes back: a change announced while it was down still holds', async () => {
    const phone = nextPhone();
    expect(await memory.isOptedOut(TENANT, phone)).toBe(false);
    // Cut the LISTEN connection and record the opt-out before it reconnects (500 ms later):
    // its notification reaches nobody.
    const { rows } = await other.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query ILIKE 'LISTEN %'`,
    );
    expect(rows[0]!.n).toBe(1);
    await applyConsentChange(other, consentChange('revoke', phone, new Date()));
    expect(await eventually(() => memory.isOptedOut(TENANT, phone), 5_000)).toBe(true);
  });

  it('this process forgets a row it changed at once, before any notification', async () => {
    const phone = nextPhone();
    const quiet = new ConsentGateMemory({ db: pool, clock: systemClock }); // follows nothing
    expect(await quiet.isOptedOut(TENANT, phone)).toBe(false);
    await applyConsentChange(other, consentChange('revoke', phone, new Date()));
    expect(await quiet.isOptedOut(TENANT, phone)).toBe(false); // remembered, not told
    quiet.forget([{ tenantId: TENANT, phone }]);
    expect(await quiet.isOptedOut(TENANT, phone)).toBe(true);
  });

  it('trusts an answer no longer than its time to live, and holds no more rows than its bound', async () => {
    const clock = fixedClock('2026-11-28T12:00:00Z');
    const bounded = new ConsentGateMemory({ db: pool, clock, maxEntries: 3, ttlMs: 60_000 });
    const phone = nextPhone();
    expect(await bounded.isOptedOut(TENANT, phone)).toBe(false);
    await applyConsentChange(other, consentChange('revoke', phone, new Date()));
    clock.advance(59_000);
    expect(await bounded.isOptedOut(TENANT, phone)).toBe(false);
    clock.advance(2_000);
    expect(await bounded.isOptedOut(TENANT, phone)).toBe(true);
    for (let i = 0; i < 5; i++) await bounded.isOptedOut(TENANT, nextPhone());
    expect(bounded.size).toBe(3);
  });
});
