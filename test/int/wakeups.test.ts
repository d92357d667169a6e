import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wakeups, type WakeFilter } from '../../src/db/wakeups.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { noticeConcerns } from '../../src/log/postgres/append-notice.ts';
import { createTestDatabase } from '../support/database.ts';

const CHANNEL = 'wakeups_test';

/**
 * A log reader's filter (`append-notice.ts`) for type `Wanted`; told of others after 1.5 s
 * (the poll below is 60 s).
 */
const filter: WakeFilter = {
  concerns: noticeConcerns(new Set(['Wanted'])),
  otherwiseAfterMs: 1_500,
};

describe("wake-ups filtered by what a notification names (a log append's event types)", () => {
  let wakeups: Wakeups;
  let db: pg.Pool;

  beforeAll(async () => {
    const url = await createTestDatabase();
    db = new pg.Pool({ connectionString: url, max: 2 });
    wakeups = new Wakeups(url, CHANNEL, silentLogger);
    await wakeups.start();
  });
  afterAll(async () => {
    await wakeups?.close();
    await db?.end();
  });

  /** Sends `payloads`, one NOTIFY each, and waits until the last has been received. */
  async function notify(...payloads: string[]): Promise<void> {
    const before = wakeups.current();
    for (const payload of payloads) await db.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
    for (let i = 0; i < 250 && wakeups.current() < before + payloads.length; i++) await sleep(20);
    expect(wakeups.current()).toBe(before + payloads.length);
  }

  /** How long (ms) `wait` took. */
  async function timed(wait: Promise<void>): Promise<number> {
    const started = performance.now();
    await wait;
    return performance.now() - started;
  }

  it('wakes a waiter at once for what concerns it, and otherwise only after the bound', async () => {
    const concerned = timed(wakeups.wait(wakeups.current(), 60_000, filter));
    const other = timed(wakeups.wait(wakeups.current(), 60_000, filter));
    await sleep(50);
    await notify('Other,Wanted');
    expect(await concerned).toBeLessThan(1_000);
    await other; // woken by the same notice: it names Wanted too

    const unconcerned = timed(wakeups.wait(wakeups.current(), 60_000, filter));
    await sleep(50);
    await notify('Other');
    const tookMs = await unconcerned;
    expect(tookMs).toBeGreaterThanOrEqual(1_400);
    expect(tookMs).toBeLessThan(10_000);
  });

  it('judges what came between taking the generation and waiting, as a reader needs', async () => {
    let generation = wakeups.current();
    await notify('Wanted');
    expect(await timed(wakeups.wait(generation, 60_000, filter))).toBeLessThan(100);

    generation = wakeups.current();
    await notify('Other');
    const later = await timed(wakeups.wait(generation, 60_000, filter));
    expect(later).toBeGreaterThanOrEqual(1_400);

    // An empty payload says nothing of what it is about: it concerns everyone.
    generation = wakeups.current();
    await notify('');
    expect(await timed(wakeups.wait(generation, 60_000, filter))).toBeLessThan(100);

    // More than are remembered (64): whatever they named, the waiter cannot tell, so it reads.
    generation = wakeups.current();
    await notify(...Array.from({ length: 70 }, () => 'Other'));
    expect(await timed(wakeups.wait(generation, 60_000, filter))).toBeLessThan(100);

    // A waiter without a filter is concerned by everything.
    generation = wakeups.current();
    await notify('Other');
    expect(await timed(wakeups.wait(generation, 60_000))).toBeLessThan(100);
  });

  it('wakes every waiter at once when woken for all (a stop, a reconnection)', async () => {
    const waiting = timed(wakeups.wait(wakeups.current(), 60_000, filter));
    await sleep(50);
    wakeups.wakeAll();
    expect(await waiting).toBeLessThan(1_000);
  });
});
