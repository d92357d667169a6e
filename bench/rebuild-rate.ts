/**
 * Replay rates against a plain sequential read of the same log, on the embedded PostgreSQL:
 *  - seeds EVENTS (default 1,000,000) events of realistic lead traffic (`harness/mixed-log.ts`:
 *    missed and answered calls, texts, STOP/START, texts sent and their status callbacks, …)
 *    over 5 tenants of 2,000 callers each;
 *  - reads them all without doing anything: a raw keyset scan of the `events` table (the
 *    ceiling: the disk's and driver's; `position` and `data`, then again every column the
 *    adapter reads, the ceiling of its own share) and a no-op consumer through the log
 *    adapter (batches, gap-safe ordering, checkpoints, decoding);
 *  - rebuilds projections (REBUILDS=…, comma-separated, default `dashboard,consent-ledger`)
 *    with `rebuildConsumer` (replay into new tables, then the switch), as
 *    `leadline projections rebuild` does;
 *  - backs the log up and restores it into an empty database with `leadline restore` (append
 *    + replay of every consumer), unless RESTORE=0.
 * Prints events/s for each beside the raw scan's. Run: `npm run bench:rebuild` (EVENTS=100000
 * for a quick look).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { registerTenant } from '../src/commands/register-tenant.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { clientConfig } from '../src/db/client-config.ts';
import { migrate } from '../src/db/migrate.ts';
import type { LeadlineEvent } from '../src/events/catalogue.ts';
import type { Subscription } from '../src/log/event-log.ts';
import { PostgresEventLog } from '../src/log/postgres/postgres-event-log.ts';
import { EVENT_COLUMNS } from '../src/log/postgres/rows.ts';
import { consumerSpec } from '../src/runtime/consumers.ts';
import { rebuildConsumer } from '../src/runtime/rebuild/rebuild-projection.ts';
import { systemClock } from '../src/shared/clock.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { writeBackup } from '../src/runtime/backup/write-backup.ts';
import { mixedLog, type MixedLogTenant } from '../harness/mixed-log.ts';
import { runCli } from '../harness/service-process.ts';
import { benchCompiledService } from '../harness/compiled-build.ts';

await benchCompiledService();

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const TENANTS = 5;
const LEADS_PER_TENANT = 2_000;

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-rebuild-'));
const server = await startEmbeddedPostgres(dir, 'bench', silentLogger);
await migrate(server.url, silentLogger);
const pool = new pg.Pool({ ...clientConfig(server.url), max: 10 });
const log = await PostgresEventLog.open({ url: server.url, pool, log: silentLogger });
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const results: Array<[string, number, number]> = [];

/**
 * CPU seconds (user + system, Linux `/proc`) used so far by this process's ended children
 * (the `leadline` commands it ran) and by the embedded PostgreSQL (the postmaster and every
 * backend, ended ones included): a restore's work, less noisy than its time on a shared host.
 */
async function cpuSeconds(
  dataDir: string,
): Promise<{ self: number; cli: number; postgres: number }> {
  const ticks = 100; // USER_HZ on Linux
  const fields = async (pid: string) =>
    (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ').map(Number);
  // Fields after the command: utime, stime, cutime, cstime are the 12th to 15th.
  const self = await fields('self');
  const postmaster = (await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split(
    '\n',
  )[0]!;
  const server = await fields(postmaster);
  const own = await readdir('/proc');
  let backends = 0;
  for (const pid of own.filter((name) => /^\d+$/.test(name))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const after = stat.split(') ')[1]?.split(' ');
    if (after?.[1] === postmaster) backends += Number(after[11]) + Number(after[12]);
  }
  return {
    self: (self[11]! + self[12]!) / ticks,
    cli: (self[13]! + self[14]!) / ticks,
    postgres: (server[11]! + server[12]! + server[13]! + server[14]! + backends) / ticks,
  };
}
/**
 * Runs `work` and prints the CPU seconds it cost in this process and in PostgreSQL (which of
 * the two bounds an in-process read or rebuild) beside its time. The CPU is sampled before
 * the work starts and after it ends, outside its time: reading `/proc` yields to the event
 * loop many times, which a reader already running would fill.
 * @returns what `work` returned and its time (ms).
 */
async function withCpu<T>(what: string, work: () => Promise<T>): Promise<[T, number]> {
  const before = await cpuSeconds(dir);
  const t = performance.now();
  const result = await work();
  const ms = performance.now() - t;
  const after = await cpuSeconds(dir);
  console.error(
    `${what} CPU: this process ${(after.self - before.self).toFixed(1)} s, PostgreSQL ${(after.postgres - before.postgres).toFixed(1)} s (of ${(ms / 1000).toFixed(1)} s on ${os.cpus().length} cores)`,
  );
  return [result, ms];
}
/** Records one measurement and prints it at once (a 1,000,000-event run takes a while). */
function report(what: string, n: number, ms: number): void {
  results.push([what, n, ms]);
  console.error(`${what}: ${n.toLocaleString('en-US')} events in ${(ms / 1000).toFixed(1)} s`);
}

try {
  const tenants: MixedLogTenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const { tenant } = await registerTenant(
      {
        name: `Bench Plumbing ${i + 1}`,
        twilioNumber: `+1416555010${i}`,
        ownerPhone: `+1416555019${i}`,
        timezone: 'America/Toronto',
      },
      { log, db: pool, clock: systemClock },
    );
    tenants.push(tenant);
  }
  let t = performance.now();
  let chunk: LeadlineEvent[] = [];
  for (const group of mixedLog({ tenants, leadsPerTenant: LEADS_PER_TENANT, events: EVENTS })) {
    chunk.push(...group);
    if (chunk.length >= 1_000) {
      await log.append(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await log.append(chunk);
  const total = await log.storedEvents();
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

  // 1b. The same scan of every column the adapter reads (`EVENT_COLUMNS`, times as text, the
  // rows as arrays, as the adapter has them): the ceiling of the adapter's own share.
  t = performance.now();
  seen = 0;
  after = '0';
  for (;;) {
    const { rows } = await pool.query<unknown[]>({
      text: `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT 10000`,
      values: [after],
      rowMode: 'array',
    });
    if (rows.length === 0) break;
    seen += rows.length;
    after = rows[rows.length - 1]![0] as string;
  }
  report('raw sequential read of whole envelopes (every column)', seen, performance.now() - t);

  // 2. A consumer that does nothing, through the adapter, from subscribing to caught up.
  let handled = 0;
  let reader: Subscription | undefined;
  const [, noOpMs] = await withCpu('no-op read', async () => {
    reader = log.subscribe(
      {
        name: 'bench:no-op',
        handle: async () => void handled++,
        handleBatch: async (events) => void (handled += events.length),
      },
      { replay: true },
    );
    await reader.whenCaughtUp(3_600_000);
  });
  await reader!.stop();
  report('sequential read through the log (no-op batch consumer)', handled, noOpMs);

  // 3. Rebuilds, as `leadline projections rebuild <name>` runs them.
  const rebuilds = (process.env.REBUILDS ?? 'dashboard,consent-ledger').split(',').filter(Boolean);
  for (const name of rebuilds) {
    const [outcome, rebuildMs] = await withCpu(`rebuild ${name}`, () =>
      rebuildConsumer(consumerSpec(name), {
        log,
        pool,
        logger: silentLogger,
        maxAttempts: 5,
        switchWhenCaughtUp: true,
        signal: new AbortController().signal,
        onProgress: () => {},
        progressIntervalMs: 1_000,
      }),
    );
    if (outcome.outcome !== 'switched') throw new Error(`${name}: ${JSON.stringify(outcome)}`);
    report(`rebuild ${name} (replay into new tables + switch)`, outcome.events, rebuildMs);
  }

  // 4. Backup, then `leadline restore` into an empty database: append and replay everything.
  if (process.env.RESTORE !== '0') {
    const snapshot = await log.snapshot();
    const backupDir = path.join(dir, 'backups');
    const backup = await writeBackup(snapshot, backupDir).finally(() => snapshot.close());
    await pool.query('CREATE DATABASE restored');
    const target = new URL(server.url);
    target.pathname = '/restored';
    await migrate(target.toString(), silentLogger);
    const cpuBefore = await cpuSeconds(dir);
    t = performance.now();
    const restore = await runCli(
      ['restore', backup.file],
      {
        DATABASE_URL: target.toString(),
        LOG_BACKEND: 'postgres',
        LEADLINE_DATA_DIR: path.join(dir, 'restore-data'),
      },
      4 * 3_600_000,
    );
    if (restore.code !== 0) throw new Error(`restore failed: ${restore.stderr}`);
    console.error(restore.stdout.trim());
    const cpuAfter = await cpuSeconds(dir);
    console.error(
      `restore CPU: leadline ${(cpuAfter.cli - cpuBefore.cli).toFixed(1)} s, PostgreSQL ${(cpuAfter.postgres - cpuBefore.postgres).toFixed(1)} s (of ${((performance.now() - t) / 1000).toFixed(1)} s on ${os.cpus().length} cores)`,
    );
    report(
      'leadline restore (append + replay of every consumer)',
      backup.events,
      performance.now() - t,
    );
  }

  const raw = results[0]![1] / results[0]![2];
  console.log(
    `\n${'what'.padEnd(58)} ${'events'.padStart(10)} ${'seconds'.padStart(8)} ${'events/s'.padStart(9)} ${'of raw'.padStart(7)}`,
  );
  for (const [what, n, ms] of results) {
    console.log(
      `${what.padEnd(58)} ${n.toLocaleString('en-US').padStart(10)} ${(ms / 1000).toFixed(1).padStart(8)} ${rate(n, ms).toLocaleString('en-US').padStart(9)} ${`${Math.round((100 * n) / ms / raw)}%`.padStart(7)}`,
    );
  }
} finally {
  await log.close();
  await pool.end();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
