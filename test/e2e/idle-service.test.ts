import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eBackends, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { waitUntilSettled } from '../support/settle.ts';

const WINDOW_MS = 5_000;

describe.each(e2eBackends())('an idle service, on the $backend log', ({ env }) => {
  let e: E2eEnv;
  beforeAll(async () => {
    e = await startE2eEnv(env, ['serve']);
    await e.addTenant({ name: 'Idle Plumbing', number: '+14165550170', owner: '+14165550179' });
    await waitUntilSettled(e.databaseUrl);
  });
  afterAll(async () => {
    await e?.close();
  });

  /** Transactions committed in the service's database so far (PostgreSQL's statistics). */
  async function commits(): Promise<number> {
    const { rows } = await e.db.query<{ n: string }>(
      'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]!.n);
  }

  it('waits for work instead of polling the database without pause (sender, timers, call-backs, assistant)', async () => {
    // Every worker and consumer polls at most every LEADLINE_POLL_INTERVAL_MS (250 ms here)
    // when nothing wakes it: a few hundred statements in 5 s. A loop that does not wait runs
    // thousands a second.
    const before = await commits();
    await sleep(WINDOW_MS);
    // PostgreSQL publishes a busy session's counts at least once a second.
    await sleep(1_500);
    const committed = (await commits()) - before;
    console.log(`[idle] ${env.LOG_BACKEND}: ${committed} transactions in ${WINDOW_MS} ms idle`);
    expect(committed).toBeLessThan(1_000);
  });
});
