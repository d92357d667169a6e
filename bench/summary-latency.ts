/**
 * Latency of the dashboard's read API with 100,000 leads in the read model (one tenant,
 * 30 days of calls and texts), on the embedded PostgreSQL: `GET /api/v1/summary` (today),
 * `/funnel` (30 days) and `/leads` (first page), 300 sequential requests each after 20 to
 * warm up. Prints p50, p90, p99 and worst in ms. Run: `npm run bench:read` (about a minute).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { freePort, runCli, ServiceProcess } from '../harness/service-process.ts';
import { benchCompiledService } from '../harness/compiled-build.ts';

await benchCompiledService();

const LEADS = Number(process.env.LEADS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 300);
const KEY = 'bench-operator-key-000000';
const NUMBER = '+14165550100';

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-'));
const db = await startEmbeddedPostgres(dir, 'bench', silentLogger);
const port = await freePort();
const env = {
  DATABASE_URL: db.url,
  LEADLINE_DATA_DIR: dir,
  PORT: String(port),
  HOST: '127.0.0.1',
  OPERATOR_API_KEY: KEY,
  LOG_LEVEL: 'error',
};
const service = await new ServiceProcess(env).start();
const client = new pg.Client({ connectionString: db.url });
try {
  const added = await runCli(
    ['tenants', 'add', '--name', 'Bench Plumbing', '--twilio-number', NUMBER].concat([
      '--owner-phone',
      '+14165550199',
      '--timezone',
      'America/Toronto',
      '--json',
    ]),
    env,
  );
  if (added.code !== 0) throw new Error(added.stderr);
  const tenantId = JSON.parse(added.stdout).tenantId as string;
  await client.connect();
  const seedStart = performance.now();
  // Leads seen over the last 30 days; 1.5 calls and 3 texts per lead on average.
  await client.query(
    `INSERT INTO dashboard_leads (tenant_id, phone, first_seen_at, last_contact_at, calls, missed_calls,
       messages_in, messages_out, opted_out, status, intent, emergencies)
     SELECT $1, '+1647' || lpad(g::text, 7, '0'), now() - (g % 43200) * interval '1 minute',
            now() - (g % 43200) * interval '1 minute', 1 + g % 2, g % 2, 1, 2, g % 50 = 0,
            (ARRAY['new','new','contacted','booked','lost'])[1 + g % 5],
            CASE WHEN g % 20 = 0 THEN 'EMERGENCY' ELSE 'STANDARD' END, (g % 20 = 0)::int
       FROM generate_series(1, $2) g`,
    [tenantId, LEADS],
  );
  await client.query(
    `INSERT INTO dashboard_calls (tenant_id, call_sid, phone, received_at, mode, outcome, first_text_at)
     SELECT $1, 'CA' || md5(g::text), '+1647' || lpad((g % $2 + 1)::text, 7, '0'),
            now() - (g % 43200) * interval '1 minute', 'business-hours',
            (ARRAY['answered','missed','after-hours'])[1 + g % 3],
            CASE WHEN g % 3 > 0 THEN now() - (g % 43200) * interval '1 minute' + interval '3 seconds' END
       FROM generate_series(1, $2 * 3 / 2) g`,
    [tenantId, LEADS],
  );
  await client.query(
    `INSERT INTO dashboard_messages (tenant_id, message_key, direction, audience, purpose, phone,
       counterpart, body, status, at, urgency)
     SELECT $1, md5(g::text), CASE WHEN g % 3 = 0 THEN 'inbound' ELSE 'outbound' END,
            CASE WHEN g % 3 = 0 THEN NULL ELSE 'lead' END, 'acknowledgement',
            '+1647' || lpad((g % $2 + 1)::text, 7, '0'), '+14165550100', 'bench text',
            (ARRAY['delivered','sent','failed','received'])[1 + g % 4],
            now() - (g % 43200) * interval '1 minute',
            CASE WHEN g % 3 = 0 THEN (CASE WHEN g % 60 = 0 THEN 'EMERGENCY' ELSE 'STANDARD' END) END
       FROM generate_series(1, $2 * 3) g`,
    [tenantId, LEADS],
  );
  await client.query('ANALYZE');
  const counts = await client.query(
    `SELECT (SELECT count(*) FROM dashboard_leads)::int leads, (SELECT count(*) FROM dashboard_calls)::int calls,
            (SELECT count(*) FROM dashboard_messages)::int messages`,
  );
  console.log(
    `seeded ${JSON.stringify(counts.rows[0])} in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );

  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  for (const [name, url, rounds] of [
    ['summary (today)', `/api/v1/summary?tenant=${tenantId}`, ROUNDS],
    ['leads (first page of 25)', `/api/v1/leads?tenant=${tenantId}`, ROUNDS],
    ['funnel (today)', `/api/v1/funnel?tenant=${tenantId}`, ROUNDS],
    ['summary (30 days)', `/api/v1/summary?tenant=${tenantId}&from=${from}&to=${to}`, 30],
    ['funnel (30 days)', `/api/v1/funnel?tenant=${tenantId}&from=${from}&to=${to}`, 30],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < rounds + 5; i++) {
      const started = performance.now();
      const res = await fetch(`${service.baseUrl}${url}`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
      if (i >= 5) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) =>
      times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
    console.log(
      `${name.padEnd(26)} p50 ${at(0.5)} ms  p90 ${at(0.9)} ms  p99 ${at(0.99)} ms  worst ${times[times.length - 1]!.toFixed(1)} ms  (${rounds} requests, ${LEADS} leads)`,
    );
  }
} finally {
  await client.end().catch(() => {});
  await service.kill('SIGTERM');
  await db.stop();
  await rm(dir, { recursive: true, force: true });
}
