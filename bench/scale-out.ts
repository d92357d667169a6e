/**
 * Scale-out on Kafka (issue 14, item 5): a backlog of EVENTS (default 200,000) events of
 * realistic lead traffic (`harness/mixed-log.ts`) over 2,000 callers of 5 businesses, in
 * topics of 6 partitions, drained by `leadline serve --role worker` processes: one, then two
 * (a fresh database and topics for each run). Each worker runs every consumer; Kafka's groups
 * share the partitions among them. Texts are dry-run (withheld and recorded), so nothing needs
 * a Twilio stand-in.
 *
 * Prints, for each run: the append rate (the bench's own producer, for scale), the time from
 * starting the workers until every consumer has passed the backlog's end in every partition,
 * that rate, and duplicates: for every consumer, events it recorded as handled minus the
 * offsets it moved past (each event is counted once when its batch commits, so anything above
 * 0 is an event applied twice). Also how the partitions were shared and the CPU each process
 * used, since on 2 cores the second worker shares them with the first and with PostgreSQL.
 *
 * Run: `npm run bench:scale` (a few minutes). Embedded PostgreSQL; Kafka from KAFKA_BROKERS
 * or a broker of its own (deploy/kafka).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { registerTenant } from '../src/commands/register-tenant.ts';
import { clientConfig } from '../src/db/client-config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { migrate } from '../src/db/migrate.ts';
import type { LeadlineEvent } from '../src/events/catalogue.ts';
import { KafkaEventLog } from '../src/log/kafka/kafka-event-log.ts';
import { consumerSpecs } from '../src/runtime/consumers.ts';
import { systemClock } from '../src/shared/clock.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { startBenchKafka } from '../harness/bench-kafka.ts';
import { mixedLog, type MixedLogTenant } from '../harness/mixed-log.ts';
import { freePort, ServiceProcess } from '../harness/service-process.ts';
import { benchCompiledService } from '../harness/compiled-build.ts';

await benchCompiledService();

const EVENTS = Number(process.env.EVENTS ?? 200_000);
const PARTITIONS = 6;
const TENANTS = 5;
const LEADS_PER_TENANT = 400;

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-scale-'));
const server = await startEmbeddedPostgres(dir, 'bench', silentLogger);
const kafkaBroker = await startBenchKafka(dir);
const brokers = kafkaBroker.brokers;
const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();

interface Run {
  workers: number;
  events: number;
  appendMs: number;
  drainMs: number;
  duplicates: number;
  shares: string;
  cpu: string;
}

/** Per topic and partition, the next offset to be written now. */
async function highWatermarks(topics: string[]): Promise<Map<string, bigint>> {
  const marks = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      marks.set(`${topic}/${p.partition}`, BigInt(p.high));
    }
  }
  return marks;
}

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function run(workers: number): Promise<Run> {
  const database = `scale_${workers}`;
  const admin_ = new pg.Client(clientConfig(server.url));
  await admin_.connect();
  await admin_.query(`CREATE DATABASE ${database}`);
  await admin_.end();
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  await migrate(url.toString(), silentLogger);
  const pool = new pg.Pool({ ...clientConfig(url.toString()), max: 8 });
  const prefix = `scale${workers}${randomBytes(3).toString('hex')}`;
  const log = await KafkaEventLog.open({
    brokers: brokers.split(','),
    prefix,
    partitions: PARTITIONS,
    pool,
    log: silentLogger,
  });
  const tenants: MixedLogTenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const { tenant } = await registerTenant(
      {
        name: `Scale Plumbing ${i + 1}`,
        twilioNumber: `+1416555020${i}`,
        ownerPhone: `+1416555029${i}`,
        timezone: 'America/Toronto',
      },
      { log, db: pool, clock: systemClock },
    );
    tenants.push(tenant);
  }
  let t = performance.now();
  let chunk: LeadlineEvent[] = [];
  let appended = 0;
  for (const group of mixedLog({ tenants, leadsPerTenant: LEADS_PER_TENANT, events: EVENTS })) {
    chunk.push(...group);
    if (chunk.length >= 1_000) {
      await log.append(chunk);
      appended += chunk.length;
      chunk = [];
    }
  }
  await log.append(chunk);
  appended += chunk.length;
  const appendMs = performance.now() - t;
  await log.close();

  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`));
  const backlog = await highWatermarks(topics);
  const names = consumerSpecs.map((spec) => spec.consumer.name);
  const nonEmpty = [...backlog].filter(([, high]) => high > 0n);
  const processes: ServiceProcess[] = [];
  t = performance.now();
  for (let w = 0; w < workers; w++) {
    const service = new ServiceProcess(
      {
        DATABASE_URL: url.toString(),
        LOG_BACKEND: 'kafka',
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: String(PARTITIONS),
        SEND_MODE: 'dry-run',
        PORT: String(await freePort()),
        LEADLINE_DATA_DIR: path.join(dir, `${database}-w${w}`),
        LOG_LEVEL: 'error',
      },
      ['serve', '--role', 'worker'],
    );
    processes.push(service);
  }
  await Promise.all(processes.map((p) => p.start(120_000)));
  // Done when every consumer's stored position has reached the backlog's end everywhere.
  for (;;) {
    const { rows } = await pool.query<{
      consumer_name: string;
      topic: string;
      partition: number;
      next_offset: string;
    }>('SELECT consumer_name, topic, partition, next_offset FROM kafka_offsets');
    const at = new Map(
      rows.map((r) => [`${r.consumer_name}|${r.topic}/${r.partition}`, BigInt(r.next_offset)]),
    );
    const done = names.every((name) =>
      nonEmpty.every(([partition, high]) => (at.get(`${name}|${partition}`) ?? -1n) >= high),
    );
    if (done) break;
    await sleep(200);
  }
  const drainMs = performance.now() - t;
  const cpu = processes.map((p, i) => `w${i + 1} ${cpuSeconds(p.pid).toFixed(0)} s`).join(', ');
  const { rows: handled } = await pool.query<{ extra: string }>(
    `SELECT COALESCE(sum(events_handled - next_offset), 0)::text AS extra FROM kafka_offsets`,
  );
  for (const p of processes) await p.kill();
  const shares = `${backlog.size} partitions over ${workers} worker${workers > 1 ? 's' : ''}`;
  await pool.end();
  return {
    workers,
    events: appended,
    appendMs,
    drainMs,
    duplicates: Number(handled[0]!.extra),
    shares,
    cpu,
  };
}

try {
  const runs: Run[] = [];
  for (const workers of [1, 2]) {
    const r = await run(workers);
    runs.push(r);
    console.error(
      `${workers} worker(s): ${r.events.toLocaleString('en-US')} events drained in ${(r.drainMs / 1000).toFixed(1)} s`,
    );
  }
  const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
  console.log(
    `\nscale-out on Kafka: ${PARTITIONS} partitions per topic, ${TENANTS * LEADS_PER_TENANT} callers, ${os.cpus().length} cores, every consumer in every worker`,
  );
  for (const r of runs) {
    console.log(
      `  ${r.workers} worker${r.workers > 1 ? 's' : ' '}: ${r.events.toLocaleString('en-US')} events drained in ${(r.drainMs / 1000).toFixed(1)} s = ${rate(r.events, r.drainMs)} events/s (appended at ${rate(r.events, r.appendMs)} events/s); duplicates ${r.duplicates}; ${r.shares}; CPU ${r.cpu}`,
    );
  }
} finally {
  await admin.disconnect().catch(() => {});
  kafkaBroker.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
