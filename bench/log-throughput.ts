/**
 * Throughput and latency of both logs, beside the raw ceiling of the same machine:
 *  - appends/s with batches of 1 and of 100 (Leadline's `append`: validation-free envelopes,
 *    idempotency, NOTIFY / the append registry), and the same volume written raw (a plain
 *    multi-row INSERT into PostgreSQL; kafkajs producing to one topic with no Leadline code);
 *  - end-to-end latency from `append` to a consumer's handler (median, p99).
 * Embedded PostgreSQL; Kafka from KAFKA_BROKERS or the local broker (deploy/kafka).
 * Run: `npm run bench:log` (a few minutes). Prints a table; asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { clientConfig } from '../src/db/client-config.ts';
import { migrate } from '../src/db/migrate.ts';
import type { EventLog } from '../src/log/event-log.ts';
import { KafkaEventLog } from '../src/log/kafka/kafka-event-log.ts';
import { PostgresEventLog } from '../src/log/postgres/postgres-event-log.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { startBenchKafka } from '../harness/bench-kafka.ts';
import { contractEvent } from '../harness/sample-events.ts';

const SINGLES = Number(process.env.SINGLES ?? 1000);
const BATCHES = Number(process.env.BATCHES ?? 100);
const LATENCY_SAMPLES = Number(process.env.LATENCY_SAMPLES ?? 300);

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-log-'));
const server = await startEmbeddedPostgres(dir, 'bench', silentLogger);
await migrate(server.url, silentLogger);
const pool = new pg.Pool({ ...clientConfig(server.url), max: 10 });
const kafkaBroker = await startBenchKafka(dir);
const brokers = kafkaBroker.brokers;

const rows: string[][] = [];
const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
let run = 0;

async function measureAppends(log: EventLog, label: string): Promise<void> {
  const tag = `b${++run}`;
  let t = performance.now();
  for (let i = 0; i < SINGLES; i++)
    await log.append([contractEvent(`lead:bench:${tag}-${i % 50}`, i, tag)]);
  const singleMs = performance.now() - t;
  t = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    await log.append(
      Array.from({ length: 100 }, (_, i) =>
        contractEvent(`lead:bench:${tag}x-${i % 50}`, b * 100 + i, tag),
      ),
    );
  }
  const batchMs = performance.now() - t;
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  const sub = log.subscribe({
    name: `bench-${tag}`,
    async handle(event) {
      const start = sentAt.get(event.id);
      if (start !== undefined) latencies.push(performance.now() - start);
    },
  });
  await sub.whenCaughtUp(120_000);
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const event = contractEvent(`lead:bench:${tag}-lat`, i, `${tag}lat`);
    sentAt.set(event.id, performance.now());
    await log.append([event]);
    while (latencies.length <= i) await new Promise((r) => setTimeout(r, 0.2));
  }
  await sub.stop();
  latencies.sort((a, b) => a - b);
  rows.push([
    label,
    rate(SINGLES, singleMs),
    rate(BATCHES * 100, batchMs),
    `${pct(latencies, 0.5).toFixed(1)} ms`,
    `${pct(latencies, 0.99).toFixed(1)} ms`,
  ]);
}

async function rawPostgres(): Promise<void> {
  await pool.query(
    'CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream_id text, data jsonb)',
  );
  const payload = JSON.stringify(contractEvent('lead:bench:raw', 0));
  let t = performance.now();
  for (let i = 0; i < SINGLES; i++)
    await pool.query('INSERT INTO raw_events (stream_id, data) VALUES ($1, $2)', ['s', payload]);
  const singleMs = performance.now() - t;
  const values = Array.from({ length: 100 }, (_, i) => `($${i * 2 + 1}, $${i * 2 + 2})`).join(', ');
  const params = Array.from({ length: 100 }, () => ['s', payload]).flat();
  t = performance.now();
  for (let b = 0; b < BATCHES; b++)
    await pool.query(`INSERT INTO raw_events (stream_id, data) VALUES ${values}`, params);
  rows.push([
    'PostgreSQL raw INSERT',
    rate(SINGLES, singleMs),
    rate(BATCHES * 100, performance.now() - t),
    '',
    '',
  ]);
}

async function rawKafka(): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: 'bench.raw', numPartitions: 6, replicationFactor: 1 }],
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = JSON.stringify(contractEvent('lead:bench:raw', 0));
  let t = performance.now();
  for (let i = 0; i < SINGLES; i++)
    await producer.send({ topic: 'bench.raw', acks: -1, messages: [{ key: `k${i % 50}`, value }] });
  const singleMs = performance.now() - t;
  t = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    await producer.send({
      topic: 'bench.raw',
      acks: -1,
      messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 50}`, value })),
    });
  }
  rows.push([
    'kafkajs raw produce',
    rate(SINGLES, singleMs),
    rate(BATCHES * 100, performance.now() - t),
    '',
    '',
  ]);
  await producer.disconnect();
  await admin.disconnect();
}

try {
  const pgLog = await PostgresEventLog.open({ url: server.url, pool, log: silentLogger });
  await measureAppends(pgLog, 'Leadline PostgreSQL log');
  await pgLog.close();
  await rawPostgres();
  const kafkaLog = await KafkaEventLog.open({
    brokers: brokers.split(','),
    prefix: 'bench',
    partitions: 6,
    pool,
    log: silentLogger,
  });
  await measureAppends(kafkaLog, 'Leadline Kafka log');
  await kafkaLog.close();
  await rawKafka();
  console.log(
    `log benchmark: ${SINGLES} single appends, ${BATCHES} batches of 100, ${LATENCY_SAMPLES} latency samples; ${os.cpus().length} cores; Kafka at ${brokers}`,
  );
  const header = ['', 'appends/s (batch 1)', 'events/s (batch 100)', 'append→handler p50', 'p99'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
} finally {
  await pool.end();
  kafkaBroker.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
