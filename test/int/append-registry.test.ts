import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import {
  AppendRegistry,
  type KafkaLocation,
  type OwnLanding,
} from '../../src/log/kafka/append-registry.ts';
import { createTestDatabase } from '../support/database.ts';

/**
 * The Kafka log's registry of appends, against PostgreSQL alone (it never talks to the
 * brokers): claims, landings recorded one row per batch, waiting for another appender's
 * landing, takeover of a stalled claim, releases, and rows settled before landings existed.
 */
describe('Kafka append registry', () => {
  let pool: pg.Pool;
  /** A registry whose stalled claims are taken over after 300 ms. */
  const registry = () => new AppendRegistry(pool, 300);
  const events = (n: number, stream = 'lead:t:+15550001111') =>
    Array.from({ length: n }, () => ({ id: randomUUID() as string, streamId: stream }));
  const at = (partition: number, offset: number): KafkaLocation => ({
    topic: 'leadline.lead',
    partition,
    offset: String(offset),
  });

  beforeAll(async () => {
    pool = new pg.Pool({ ...clientConfig(await createTestDatabase()), max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('claims new ids in one batch, records one landing row for it, and reports the positions to a repeat', async () => {
    const first = registry();
    const batch = events(3);
    const claims = await first.claim(batch);
    expect([...claims.toProduce.keys()]).toEqual(batch.map((e) => e.id));
    const batchIds = new Set(claims.toProduce.values());
    expect(batchIds.size).toBe(1);
    const landed = new Map(batch.map((e, i) => [e.id, at(i % 2, 100 + i)]));
    await first.settle(landed, claims.toProduce);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM kafka_append_landings WHERE batch_id = $1',
      [[...batchIds][0]],
    );
    expect(rows[0].n).toBe(1);

    const repeat = await registry().claim([...batch, ...events(1)]);
    expect(repeat.toProduce.size).toBe(1);
    expect(Object.fromEntries(repeat.appended)).toEqual(Object.fromEntries(landed));
  });

  it("waits for another appender's landing instead of producing again", async () => {
    const batch = events(2);
    const producer = registry();
    const claims = await producer.claim(batch);
    const waiting = new AppendRegistry(pool, 10_000).claim(batch);
    await new Promise((r) => setTimeout(r, 100));
    const landed = new Map(batch.map((e, i) => [e.id, at(1, 7 + i)]));
    await producer.settleSoon(landed, claims.toProduce);
    const waited = await waiting;
    expect(waited.toProduce.size).toBe(0);
    expect(Object.fromEntries(waited.appended)).toEqual(Object.fromEntries(landed));
  });

  it('takes over a claim with no landing past the stall bound, and records its landing under the same batch', async () => {
    const batch = events(2);
    const stalled = await registry().claim(batch); // its producer "dies" here
    const taker = registry();
    const started = Date.now();
    const takeover = await taker.claim(batch);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Object.fromEntries(takeover.toProduce)).toEqual(Object.fromEntries(stalled.toProduce));
    const landed = new Map(batch.map((e, i) => [e.id, at(2, 50 + i)]));
    await taker.settle(landed, takeover.toProduce);
    const later = await registry().claim(batch);
    expect(later.toProduce.size).toBe(0);
    expect(Object.fromEntries(later.appended)).toEqual(Object.fromEntries(landed));
  });

  it('releases only claims that did not land; a released claim is claimed afresh', async () => {
    const [kept, released] = events(2);
    const r = registry();
    const claims = await r.claim([kept!, released!]);
    await r.settle(new Map([[kept!.id, at(0, 1)]]), claims.toProduce);
    await r.release([kept!.id, released!.id]);
    const again = await registry().claim([kept!, released!]);
    expect([...again.toProduce.keys()]).toEqual([released!.id]);
    expect(again.appended.get(kept!.id)).toEqual(at(0, 1));
  });

  it("learns this process's own outcome from memory: landed → reported, failed → produced again", async () => {
    const [ok, failed] = events(2);
    const r = registry();
    const claims = await r.claim([ok!, failed!]);
    // The registry never heard how these ended (it was unreachable), but this process knows.
    const outcome = new Map<string, Promise<OwnLanding | null>>([
      [ok!.id, Promise.resolve({ at: at(3, 9), batchId: claims.toProduce.get(ok!.id)! })],
      [failed!.id, Promise.resolve(null)],
    ]);
    const again = await new AppendRegistry(pool, 10_000).claim([ok!, failed!], (id) =>
      outcome.get(id),
    );
    expect(again.appended.get(ok!.id)).toEqual(at(3, 9));
    expect(again.toProduce.get(failed!.id)).toBe(claims.toProduce.get(failed!.id));
    // The landing is the original append's to record (its background write), not written twice.
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM kafka_append_landings WHERE batch_id = $1',
      [claims.toProduce.get(ok!.id)],
    );
    expect(rows[0].n).toBe(0);
    await r.settle(new Map([[ok!.id, at(3, 9)]]), claims.toProduce);
    const elsewhere = await registry().claim([ok!]);
    expect(elsewhere.appended.get(ok!.id)).toEqual(at(3, 9));
  });

  it('answers with the first landing when a takeover produced a copy, however many follow', async () => {
    const [event] = events(1);
    const r = registry();
    const claims = await r.claim([event!]);
    await r.settle(new Map([[event!.id, at(0, 5)]]), claims.toProduce);
    await r.settle(new Map([[event!.id, at(0, 9)]]), claims.toProduce); // the copy, later
    expect((await registry().claim([event!])).appended.get(event!.id)).toEqual(at(0, 5));
  });

  it('records a backlog of more landings than one statement can carry (65,535 parameters)', async () => {
    const n = 11_000;
    const locations = new Map<string, KafkaLocation>();
    const batchOf = new Map<string, string>();
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      locations.set(id, at(5, i));
      batchOf.set(id, randomUUID());
    }
    await registry().settle(locations, batchOf);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM kafka_append_landings WHERE batch_id = ANY ($1::uuid[])',
      [[...batchOf.values()]],
    );
    expect(rows[0].n).toBe(n);
  });

  it('reads claims settled before landings existed, and adopts an old unsettled claim it takes over', async () => {
    const [settledBefore, stalledBefore] = events(2);
    await pool.query(
      `INSERT INTO kafka_appends (event_id, stream_id, state, topic, partition, "offset")
       VALUES ($1, 's', 'appended', 'leadline.lead', 4, 77)`,
      [settledBefore!.id],
    );
    await pool.query(`INSERT INTO kafka_appends (event_id, stream_id) VALUES ($1, 's')`, [
      stalledBefore!.id,
    ]);
    const r = registry();
    const claims = await r.claim([settledBefore!, stalledBefore!]);
    expect(claims.appended.get(settledBefore!.id)).toEqual(at(4, 77));
    const adopted = claims.toProduce.get(stalledBefore!.id);
    expect(adopted).toBeDefined();
    await r.settle(new Map([[stalledBefore!.id, at(4, 78)]]), claims.toProduce);
    const later = await registry().claim([stalledBefore!]);
    expect(later.appended.get(stalledBefore!.id)).toEqual(at(4, 78));
  });
});
