import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import type { Subscription } from '../../src/log/event-log.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { contractEvent } from '../../harness/sample-events.ts';

/**
 * A replay that follows a log still being appended (a restore's consumers) with
 * `replayGatherMs` reads what gathered meanwhile in one large batch, rather than one batch
 * per append; without it, each append's wake-up brings its own batch.
 */
describe('PostgreSQL log: a replay following appends gathers them into large batches', () => {
  let dir: string | undefined;
  let server: EmbeddedDatabase | undefined;
  let url: string;
  let pool: pg.Pool;
  const APPENDS = 5;
  const PER_APPEND = 100;

  // A server of its own: readers read below the oldest transaction open anywhere on the
  // server (gap-safe reads), so on the run's shared server another test file's transaction,
  // open across a read, splits the batches these tests count (seen in CI).
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-gather-'));
    server = await startEmbeddedPostgres(dir, 'gather-test', silentLogger);
    url = server.url;
    await migrate(url, silentLogger);
    pool = new pg.Pool({ ...clientConfig(url), max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Batch sizes a replaying consumer was handed while `APPENDS` appends came one after
   * another, and how long (ms) those appends took.
   */
  async function batchesWhileAppending(
    tag: string,
    {
      replayGatherMs,
      afterFirstAppend,
      failFirstBatchOver,
    }: {
      replayGatherMs?: number;
      /** Runs once the first append is in. */
      afterFirstAppend?: () => Promise<void>;
      /** The first batch after catching up larger than this fails (once). */
      failFirstBatchOver?: number;
    } = {},
  ): Promise<{ batches: number[]; appendsMs: number }> {
    const log = await PostgresEventLog.open({
      url,
      pool,
      log: silentLogger,
      pollIntervalMs: 1_000,
      ...(replayGatherMs !== undefined && { replayGatherMs }),
    });
    const batches: number[] = [];
    const replayFlags = new Set<boolean>();
    let caughtUp = false;
    let subscription: Subscription | undefined;
    try {
      // One event first, so that catching up means the reader has read and handled it, and
      // is waiting as it does once caught up. On an empty log it would count as caught up
      // before its first read, and that read (no wait before it) could take the first append
      // alone.
      await log.append([contractEvent(`lead:gather:${tag}-prime`, 0, `${tag}-prime`)]);
      subscription = log.subscribe(
        {
          name: `test:gather-${tag}`,
          handle: async (_event, ctx) => {
            batches.push(1);
            replayFlags.add(ctx.replay);
          },
          handleBatch: async (events, ctx) => {
            if (
              caughtUp &&
              failFirstBatchOver !== undefined &&
              events.length > failFirstBatchOver
            ) {
              failFirstBatchOver = undefined;
              throw new Error('a batch too large for the database, say');
            }
            batches.push(events.length);
            replayFlags.add(ctx.replay);
          },
        },
        { replay: true },
      );
      await subscription.whenCaughtUp(10_000);
      const already = batches.reduce((a, b) => a + b, 0);
      batches.length = 0;
      caughtUp = true;
      const appendsStarted = performance.now();
      for (let a = 0; a < APPENDS; a++) {
        await log.append(
          Array.from({ length: PER_APPEND }, (_, i) =>
            contractEvent(`lead:gather:${tag}-${i % 10}`, a * PER_APPEND + i, tag),
          ),
        );
        if (a === 0) await afterFirstAppend?.();
        await new Promise((r) => setTimeout(r, 30)); // appends apart, as a restore's are
      }
      const appendsMs = performance.now() - appendsStarted;
      const deadline = Date.now() + 10_000;
      while (batches.reduce((a, b) => a + b, 0) < APPENDS * PER_APPEND && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(already + batches.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(
        APPENDS * PER_APPEND,
      );
      expect([...replayFlags]).toEqual([true]);
      return { batches, appendsMs };
    } finally {
      await subscription?.stop();
      await log.close();
    }
  }

  it('with replayGatherMs, the appends made while it waited come as one batch', async () => {
    // The appends (5, 30 ms apart) take well under the 1 s it waits: all in its first batch.
    const { batches, appendsMs } = await batchesWhileAppending('on', { replayGatherMs: 1_000 });
    expect(batches, `the appends took ${Math.round(appendsMs)} ms`).toEqual([APPENDS * PER_APPEND]);
  });

  it('with replayGatherMs, reads only what an older open transaction does not hide, then the rest once it ends', async () => {
    // Readers read below the oldest open transaction's id, server-wide (gap-safe reads). A
    // transaction that takes its id after the first append and stays open past the gathering
    // reader's read hides every later append from it until it ends.
    const blocker = new pg.Client(clientConfig(url));
    await blocker.connect();
    let ended: Promise<void> | undefined;
    try {
      const { batches } = await batchesWhileAppending('held', {
        replayGatherMs: 1_000,
        afterFirstAppend: async () => {
          await blocker.query('BEGIN');
          await blocker.query('SELECT pg_current_xact_id()');
          ended = new Promise((r) => setTimeout(r, 1_500)).then(async () => {
            await blocker.query('COMMIT');
          });
        },
      });
      expect(batches).toEqual([PER_APPEND, (APPENDS - 1) * PER_APPEND]);
    } finally {
      await ended;
      await blocker.end();
    }
  });

  it('with replayGatherMs, reads a small batch first after a failed one, then large ones again', async () => {
    // A failure a batch's size caused must not repeat at every retry.
    const { batches } = await batchesWhileAppending('fail', {
      replayGatherMs: 1_000,
      failFirstBatchOver: PER_APPEND,
    });
    expect(batches).toEqual([PER_APPEND, (APPENDS - 1) * PER_APPEND]);
  });

  it('without it, the first append wakes it at once and is read on its own', async () => {
    const { batches } = await batchesWhileAppending('off');
    expect(batches.reduce((a, b) => a + b, 0)).toBe(APPENDS * PER_APPEND);
    expect(batches.length).toBeGreaterThan(1);
  });
});
