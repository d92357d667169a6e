/**
 * A large log (issue 14, item 6): webhook latency and the read API's latency with an empty log,
 * then with EVENTS (default 10,000,000) events already in the PostgreSQL log and projected
 * into the read models, side by side, on the embedded PostgreSQL with `leadline serve`.
 *
 * 1. Empty log: ROUNDS (300) signed `POST /twilio/sms` webhooks one after another (new callers,
 *    unique Sids), then ROUNDS of each read (`/api/v1/leads`, `/api/v1/summary`, a lead's
 *    timeline), after 20 to warm up; then 30 missed calls (callback → request at Twilio).
 * 2. The service stops; EVENTS events of realistic traffic (`harness/mixed-log.ts`) over 20,000
 *    callers of the bench's business are appended to the log: history, dated so that it ends
 *    days before the day of the bench ({@link historyStart}). The processors' checkpoints are
 *    set to the head, as if they had acted on that history when it happened (nothing old is
 *    texted); the projections catch up on it live once the service is back.
 * 3. The same measurements again; each number beside the empty log's, with the ratio.
 *
 * Prints, does not assert. Run: `npm run bench:large` (10,000,000 events take a while to seed
 * and project: EVENTS=1000000 for a shorter look).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { clientConfig } from '../src/db/client-config.ts';
import type { LeadlineEvent } from '../src/events/catalogue.ts';
import { PostgresEventLog } from '../src/log/postgres/postgres-event-log.ts';
import { consumerSpecs } from '../src/runtime/consumers.ts';
import { inboundSmsParams, TwilioWebhookClient } from '../src/cli/webhook-client.ts';
import { silentLogger } from '../src/shared/logger.ts';
import {
  BENCH_ACCOUNT_SID,
  BENCH_AUTH_TOKEN,
  BENCH_NUMBER,
  startBenchService,
} from '../harness/bench-service.ts';
import { mixedLog } from '../harness/mixed-log.ts';
import { probeMissedCalls, summarise, type LatencySummary } from '../harness/missed-call-probe.ts';
import { benchCompiledService } from '../harness/compiled-build.ts';

await benchCompiledService();

const EVENTS = Number(process.env.EVENTS ?? 10_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 300);
const LEADS = 20_000;
const DAY_MS = 86_400_000;

/**
 * When the seeded history begins: far enough back that it ends days before today. `mixedLog`
 * steps about 17 s per interaction of about 3.6 events (10,000,000 events span about 550
 * days); 3 events a step are assumed here, so the history ends early rather than late. A log's
 * history precedes the day it is read on: today's summary and the first page of leads then hold
 * the same traffic (the bench's own) with either log, and what differs between the two
 * measurements is the size of the log and of the read models. (Dated from 2026-06-01 as it
 * was until 2026-11-29, 10,000,000 events ran about a year past the bench's day: today's
 * summary counted about 18,000 seeded events, and the first page of leads held future-dated
 * ones.)
 */
function historyStart(events: number, now: Date): Date {
  return new Date(now.getTime() - Math.ceil(events / 3) * 17_000 - 2 * DAY_MS);
}

const bench = await startBenchService(['--daily-quota', '100000']);
const { env, service, twilio } = bench;
const key = env.OPERATOR_API_KEY!;
const pool = new pg.Pool({ ...clientConfig(env.DATABASE_URL!), max: 4 });

/** Times `ROUNDS` sequential calls of `request` after 20 unmeasured ones (ms). */
async function timed(request: (i: number) => Promise<void>): Promise<LatencySummary> {
  for (let i = 0; i < 20; i++) await request(-1 - i);
  const latencies: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await request(i);
    latencies.push(performance.now() - start);
  }
  return summarise(latencies.map((ms) => Math.round(ms * 10) / 10));
}

/** Waits until nothing new is sent to the Twilio stand-in for 2 s. */
async function quiet(): Promise<void> {
  let last = -1;
  while (twilio.messages.length !== last) {
    last = twilio.messages.length;
    await sleep(2_000);
  }
}

let round = 0;
async function measure(tenantId: string): Promise<Record<string, LatencySummary>> {
  round++;
  const client = new TwilioWebhookClient(service.baseUrl, env.PUBLIC_BASE_URL!, BENCH_AUTH_TOKEN);
  const get = async (path: string) => {
    const response = await fetch(`${service.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    await response.arrayBuffer();
  };
  const results: Record<string, LatencySummary> = {};
  results['POST /twilio/sms'] = await timed(async (i) => {
    const n = round * 100_000 + i + 50;
    const response = await client.post(
      '/twilio/sms',
      inboundSmsParams({
        messageSid: `SM${String(n).padStart(32, '0')}`,
        accountSid: BENCH_ACCOUNT_SID,
        from: `+1905${String(5_550_000 + n).padStart(7, '0')}`,
        to: BENCH_NUMBER,
        body: 'Is someone available this afternoon? The kitchen sink is clogged.',
      }),
    );
    if (response.status !== 200) throw new Error(`webhook: ${response.status}`);
  });
  await quiet();
  // A caller of this round's webhooks: a lead in either log.
  const lead = encodeURIComponent(
    `+1905${String(5_550_000 + round * 100_000 + 50).padStart(7, '0')}`,
  );
  results['GET /api/v1/leads'] = await timed(() =>
    get(`/api/v1/leads?tenant=${tenantId}&limit=50`),
  );
  results['GET /api/v1/summary'] = await timed(() => get(`/api/v1/summary?tenant=${tenantId}`));
  results['GET /api/v1/leads/{phone}'] = await timed(() =>
    get(`/api/v1/leads/${lead}?tenant=${tenantId}`),
  );
  results['missed call → Twilio'] = summarise(
    await probeMissedCalls({
      client,
      twilio,
      accountSid: BENCH_ACCOUNT_SID,
      to: BENCH_NUMBER,
      calls: 30,
      firstCaller: round * 100,
      // Not among the seeded callers (+1647555…), some of whom opted out.
      callerPrefix: '+1905777',
    }),
  );
  return results;
}

/**
 * Writes every dirty page out now (`CHECKPOINT`), so a measurement does not share the disk with
 * a checkpoint still spreading out the writes of the seeding and projecting before it: on
 * 2026-11-29 a run measured right after projecting 10,000,000 events found every read slower,
 * primary-key look-ups included (p50 2 → 3.8 ms), where the run before had found them as fast.
 */
async function settle(): Promise<void> {
  await pool.query('CHECKPOINT');
}

/** Waits until every consumer has handled the whole log. */
async function caughtUp(): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ behind: number }>(
      `SELECT count(*)::int AS behind FROM unnest($1::text[]) AS c(name)
         LEFT JOIN consumer_checkpoints k ON k.consumer_name = c.name
        WHERE k.position IS DISTINCT FROM (SELECT position FROM events
               ORDER BY epoch DESC, transaction_id DESC, position DESC LIMIT 1)`,
      [consumerSpecs.map((s) => s.consumer.name)],
    );
    if (rows[0]!.behind === 0) return;
    await sleep(2_000);
  }
}

try {
  const { rows } = await pool.query<{ tenant_id: string }>(
    'SELECT tenant_id FROM tenants WHERE twilio_number = $1',
    [BENCH_NUMBER],
  );
  const tenantId = rows[0]!.tenant_id;
  const tenant = { tenantId, twilioNumber: BENCH_NUMBER, ownerPhone: '+14165550199' };
  await caughtUp();
  await settle();
  const empty = await measure(tenantId);
  const emptyEvents = Number((await pool.query('SELECT count(*) AS n FROM events')).rows[0].n);

  await service.kill('SIGTERM');
  const log = await PostgresEventLog.open({ url: env.DATABASE_URL!, pool, log: silentLogger });
  let t = performance.now();
  let chunk: LeadlineEvent[] = [];
  let lastAt = '';
  const start = historyStart(EVENTS, new Date());
  for (const group of mixedLog({
    tenants: [tenant],
    leadsPerTenant: LEADS,
    events: EVENTS,
    start,
  })) {
    chunk.push(...group);
    lastAt = group[group.length - 1]!.occurredAt;
    if (chunk.length >= 5_000) {
      await log.append(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await log.append(chunk);
  await log.close();
  console.error(
    `seeded ${EVENTS.toLocaleString('en-US')} events in ${((performance.now() - t) / 1000).toFixed(0)} s (history ${start.toISOString().slice(0, 10)} to ${lastAt.slice(0, 10)})`,
  );
  if (Date.parse(lastAt) > Date.now() - DAY_MS) {
    throw new Error(
      `the seeded history reaches today (${lastAt}): historyStart must go further back`,
    );
  }
  // The processors acted on this history when it happened: they start at the head.
  await pool.query(
    `UPDATE consumer_checkpoints k SET epoch = e.epoch, transaction_id = e.transaction_id,
        position = e.position
       FROM (SELECT epoch, transaction_id, position FROM events
              ORDER BY epoch DESC, transaction_id DESC, position DESC LIMIT 1) e
      WHERE k.consumer_name = ANY($1::text[])`,
    [consumerSpecs.filter((s) => s.kind === 'processor').map((s) => s.consumer.name)],
  );
  await pool.query('VACUUM ANALYZE events');
  t = performance.now();
  await service.start(300_000);
  await caughtUp();
  console.error(`projected in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  await pool.query('VACUUM ANALYZE');
  await settle();
  const large = await measure(tenantId);
  const stored = Number((await pool.query('SELECT count(*) AS n FROM events')).rows[0].n);

  console.log(
    `\nlarge log: ${emptyEvents.toLocaleString('en-US')} events, then ${stored.toLocaleString('en-US')} (read models projected), ${ROUNDS} sequential requests each; ms`,
  );
  console.log(
    `${'what'.padEnd(26)} ${'empty p50'.padStart(10)} ${'p99'.padStart(7)} ${'large p50'.padStart(10)} ${'p99'.padStart(7)} ${'p99 ratio'.padStart(10)}`,
  );
  for (const what of Object.keys(empty)) {
    const a = empty[what]!;
    const b = large[what]!;
    console.log(
      `${what.padEnd(26)} ${String(a.p50).padStart(10)} ${String(a.p99).padStart(7)} ${String(b.p50).padStart(10)} ${String(b.p99).padStart(7)} ${`${(b.p99 / a.p99).toFixed(2)}×`.padStart(10)}`,
    );
  }
} finally {
  await pool.end();
  await bench.close();
}
