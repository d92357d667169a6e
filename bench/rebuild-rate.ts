/**
 * Rebuild rate against a plain sequential read of the same log, on the embedded PostgreSQL:
 *  - seeds EVENTS (default 1,000,000) customer texts over 20,000 leads of one tenant;
 *  - reads them all twice without doing anything: a raw keyset scan of the `events` table
 *    (the disk's and driver's ceiling) and a no-op consumer through the log adapter
 *    (batches, gap-safe ordering, checkpoints);
 *  - rebuilds the dashboard projection (REBUILDS=…, comma-separated; a processor rebuilds only
 *    once its live consumer has handled the same events) with
 *    `rebuildConsumer` (replay mode into new tables, then the switch), as
 *    `leadline projections rebuild` does.
 * Prints events/s for each. Run: `npm run bench:rebuild` (EVENTS=100000 for a quick look;
 * REBUILDS=dashboard, or REBUILDS= for the reads only).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { registerTenant } from '../src/commands/register-tenant.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { clientConfig } from '../src/db/client-config.ts';
import { migrate } from '../src/db/migrate.ts';
import { newEvent } from '../src/events/new-event.ts';
import { leadStreamId } from '../src/events/streams.ts';
import { PostgresEventLog } from '../src/log/postgres/postgres-event-log.ts';
import { consumerSpec } from '../src/runtime/consumers.ts';
import { rebuildConsumer } from '../src/runtime/rebuild/rebuild-projection.ts';
import { systemClock } from '../src/shared/clock.ts';
import { silentLogger } from '../src/shared/logger.ts';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const LEADS = 20_000;
const BODIES = [
  'Hi, my kitchen sink is backing up, can someone come today?',
  'What time can you be here?',
  'Thanks!',
  'Is tomorrow morning ok?',
  'The water heater is making a banging noise.',
];

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-rebuild-'));
const server = await startEmbeddedPostgres(dir, 'bench', silentLogger);
await migrate(server.url, silentLogger);
const pool = new pg.Pool({ ...clientConfig(server.url), max: 10 });
const log = await PostgresEventLog.open({ url: server.url, pool, log: silentLogger });
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const results: Array<[string, number, number]> = [];
/** Records one measurement and prints it at once (a 1,000,000-event run takes a while). */
function report(what: string, n: number, ms: number): void {
  results.push([what, n, ms]);
  console.error(`${what}: ${n.toLocaleString('en-US')} events in ${(ms / 1000).toFixed(1)} s`);
}

try {
  const { tenant } = await registerTenant(
    {
      name: 'Bench Plumbing',
      twilioNumber: '+14165550100',
      ownerPhone: '+14165550199',
      timezone: 'America/Toronto',
    },
    { log, db: pool, clock: systemClock },
  );
  let t = performance.now();
  for (let done = 0; done < EVENTS; done += 1_000) {
    await log.append(
      Array.from({ length: Math.min(1_000, EVENTS - done) }, (_, i) => {
        const n = done + i;
        const phone = `+1647555${String(n % LEADS).padStart(4, '0')}`.slice(0, 12);
        return newEvent(
          {
            type: 'SmsInbound',
            streamId: leadStreamId(tenant.tenantId, phone),
            tenantId: tenant.tenantId,
            idempotencyKey: randomUUID(),
            occurredAt: new Date(Date.now() - (EVENTS - n) * 1_000),
            data: {
              messageSid: `SM${randomUUID().replace(/-/g, '')}`,
              from: phone,
              to: tenant.twilioNumber,
              body: BODIES[n % BODIES.length]!,
              keyword: null,
              optOutType: null,
              autoReply: false,
              urgency: 'STANDARD',
              media: [],
            },
          },
          systemClock,
        );
      }),
    );
  }
  const total = EVENTS + 1;
  console.error(
    `seeded ${total.toLocaleString('en-US')} events in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
  await pool.query('VACUUM ANALYZE events');

  // 1. Raw keyset scan: the ceiling of reading the table at all.
  t = performance.now();
  let seen = 0;
  let after = '0';
  for (;;) {
    const { rows } = await pool.query<{ position: string; data: unknown }>(
      'SELECT position, data FROM events WHERE position > $1 ORDER BY position LIMIT 10000',
      [after],
    );
    if (rows.length === 0) break;
    seen += rows.length;
    after = rows[rows.length - 1]!.position;
  }
  report('raw sequential read (keyset, 10,000 rows a query)', seen, performance.now() - t);

  // 2. A consumer that does nothing, through the adapter.
  t = performance.now();
  let handled = 0;
  const reader = log.subscribe({ name: 'bench:no-op', handle: async () => void handled++ });
  await reader.whenCaughtUp(3_600_000);
  await reader.stop();
  report('sequential read through the log (no-op consumer)', handled, performance.now() - t);

  // 3. Rebuilds, as `leadline projections rebuild <name>` runs them.
  const rebuilds = (process.env.REBUILDS ?? 'dashboard').split(',').filter(Boolean);
  for (const name of rebuilds) {
    t = performance.now();
    const outcome = await rebuildConsumer(consumerSpec(name), {
      log,
      pool,
      logger: silentLogger,
      maxAttempts: 5,
      switchWhenCaughtUp: true,
      signal: new AbortController().signal,
      onProgress: () => {},
      progressIntervalMs: 1_000,
    });
    if (outcome.outcome !== 'switched') throw new Error(`${name}: ${JSON.stringify(outcome)}`);
    report(
      `rebuild ${name} (replay into new tables + switch)`,
      outcome.events,
      performance.now() - t,
    );
  }

  console.log(
    `\n${'what'.padEnd(58)} ${'events'.padStart(10)} ${'seconds'.padStart(8)} ${'events/s'.padStart(9)}`,
  );
  for (const [what, n, ms] of results) {
    console.log(
      `${what.padEnd(58)} ${n.toLocaleString('en-US').padStart(10)} ${(ms / 1000).toFixed(1).padStart(8)} ${rate(n, ms).toLocaleString('en-US').padStart(9)}`,
    );
  }
} finally {
  await log.close();
  await pool.end();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
