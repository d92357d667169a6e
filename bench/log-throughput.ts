/**
 * Throughput and latency of both logs, beside the raw ceiling of the same machine:
 *  - appends/s with batches of 1 (and their median latency) and of 100 (Leadline's `append`:
 *    validation-free envelopes, idempotency, NOTIFY / the append registry), and the same
 *    volume written raw: a plain multi-row INSERT into PostgreSQL; kafkajs producing to one
 *    topic with no Leadline code, both bare values and the very records Leadline produces
 *    (the same keys, JSON envelopes and routing headers, encoded before the clock starts), so
 *    the registry's share is the difference to the second;
 *  - end-to-end latency from `append` to a consumer's handler (median, p99).
 * Each log and its ceiling are measured alternately, ROUNDS times (default 2): the first round
 * pays the servers' warm-up, so compare the last round's rows.
 * Embedded PostgreSQL; Kafka from KAFKA_BROKERS or the local broker (deploy/kafka).
 * Run: `npm run bench:log` (a few minutes; SINGLES, BATCHES, LATENCY_SAMPLES, ROUNDS). Prints a
 * table; asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { clientConfig } from '../src/db/client-config.ts';
import { migrate } from '../src/db/migrate.ts';
import type { EventLog } from '../src/log/event-log.ts';
import { encode } from '../src/log/kafka/codec.ts';
import { KafkaEventLog } from '../src/log/kafka/kafka-event-log.ts';
import { PostgresEventLog } from '../src/log/postgres/postgres-event-log.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { startBenchKafka } from '../harness/bench-kafka.ts';
import { contractEvent } from '../harness/sample-events.ts';

const SINGLES = Number(process.env.SINGLES ?? 1000);
const BATCHES = Number(process.env.BATCHES ?? 100);
const LATENCY_SAMPLES = Number(process.env.LATENCY_SAMPLES ?? 300);
/** Rounds of each log beside its raw ceiling, alternately. */
const ROUNDS = Number(process.env.ROUNDS ?? 2);
/** Single appends made before each clock starts. */
const WARM_UP = 1_000;

const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-log-'));
const server = await startEmbeddedPostgres(dir, 'bench', silentLogger);
await migrate(server.url, silentLogger);
const pool = new pg.Pool({ ...clientConfig(server.url), max: 10 });
const kafkaBroker = await startBenchKafka(dir);
const brokers = kafkaBroker.brokers;

const rows: string[][] = [];
const rate = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
/** The median of `ms`, for the table. */
const median = (ms: number[]) =>
  `${pct(
    [...ms].sort((a, b) => a - b),
    0.5,
  ).toFixed(2)} ms`;
let run = 0;

async function measureAppends(log: EventLog, label: string): Promise<void> {
  const tag = `b${++run}`;
  // Warm up (connections, JIT, the topic's partitions) before any clock starts, as the raw
  // ceilings below run on a warm process.
  for (let i = 0; i < WARM_UP; i++) {
    await log.append([contractEvent(`lead:bench:${tag}w-${i % 50}`, i, `${tag}w`)]);
  }
  // Events are made before the clocks start, as the raw ceilings' messages are.
  const ones = Array.from({ length: SINGLES }, (_, i) =>
    contractEvent(`lead:bench:${tag}-${i % 50}`, i, tag),
  );
  const hundreds = Array.from({ length: BATCHES }, (_, b) =>
    Array.from({ length: 100 }, (_, i) =>
      contractEvent(`lead:bench:${tag}x-${i % 50}`, b * 100 + i, tag),
    ),
  );
  const singles: number[] = [];
  let t = performance.now();
  for (const event of ones) {
    const started = performance.now();
    await log.append([event]);
    singles.push(performance.now() - started);
  }
  const singleMs = performance.now() - t;
  t = performance.now();
  for (const events of hundreds) await log.append(events);
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
    median(singles),
    rate(BATCHES * 100, batchMs),
    `${pct(latencies, 0.5).toFixed(1)} ms`,
    `${pct(latencies, 0.99).toFixed(1)} ms`,
  ]);
}

async function rawPostgres(label: string): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS raw_events (id bigserial PRIMARY KEY, stream_id text, data jsonb)',
  );
  const payload = JSON.stringify(contractEvent('lead:bench:raw', 0));
  const singles: number[] = [];
  let t = performance.now();
  for (let i = 0; i < SINGLES; i++) {
    const started = performance.now();
    await pool.query('INSERT INTO raw_events (stream_id, data) VALUES ($1, $2)', ['s', payload]);
    singles.push(performance.now() - started);
  }
  const singleMs = performance.now() - t;
  const values = Array.from({ length: 100 }, (_, i) => `($${i * 2 + 1}, $${i * 2 + 2})`).join(', ');
  const params = Array.from({ length: 100 }, () => ['s', payload]).flat();
  t = performance.now();
  for (let b = 0; b < BATCHES; b++)
    await pool.query(`INSERT INTO raw_events (stream_id, data) VALUES ${values}`, params);
  rows.push([
    label,
    rate(SINGLES, singleMs),
    median(singles),
    rate(BATCHES * 100, performance.now() - t),
    '',
    '',
  ]);
}

async function rawKafka(round: number): Promise<void> {
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
  const bare = (i: number): Message => ({ key: `k${i % 50}`, value });
  const records =
    (tag: string) =>
    (i: number): Message =>
      encode(contractEvent(`lead:bench:${tag}-${i % 50}`, i, tag));
  await produceRaw(producer, `kafkajs raw produce, round ${round}`, bare, bare);
  await produceRaw(
    producer,
    `kafkajs raw produce, Leadline's records, round ${round}`,
    records(`rawrec1r${round}`),
    records(`rawrec100r${round}`),
  );
  await producer.disconnect();
  await admin.disconnect();
}

/**
 * Produces `SINGLES` messages one by one, then `BATCHES` of 100, to `bench.raw` with no
 * Leadline code, every message built before its clock starts.
 */
async function produceRaw(
  producer: Producer,
  label: string,
  single: (i: number) => Message,
  batched: (i: number) => Message,
): Promise<void> {
  for (let i = 0; i < WARM_UP; i++) {
    await producer.send({ topic: 'bench.raw', acks: -1, messages: [single(SINGLES + i)] });
  }
  const ones = Array.from({ length: SINGLES }, (_, i) => single(i));
  const singles: number[] = [];
  let t = performance.now();
  for (const message of ones) {
    const started = performance.now();
    await producer.send({ topic: 'bench.raw', acks: -1, messages: [message] });
    singles.push(performance.now() - started);
  }
  const singleMs = performance.now() - t;
  const hundreds = Array.from({ length: BATCHES }, (_, b) =>
    Array.from({ length: 100 }, (_, i) => batched(b * 100 + i)),
  );
  t = performance.now();
  for (const messages of hundreds) await producer.send({ topic: 'bench.raw', acks: -1, messages });
  rows.push([
    label,
    rate(SINGLES, singleMs),
    median(singles),
    rate(BATCHES * 100, performance.now() - t),
    '',
    '',
  ]);
}

try {
  // Each log and its raw ceiling are measured alternately, ROUNDS times: the first round pays
  // the broker's and the database's warm-up (the JVM's JIT above all), which only whoever
  // goes first would otherwise be charged with.
  for (let round = 1; round <= ROUNDS; round++) {
    const pgLog = await PostgresEventLog.open({ url: server.url, pool, log: silentLogger });
    await measureAppends(pgLog, `Leadline PostgreSQL log, round ${round}`);
    await pgLog.close();
    await rawPostgres(`PostgreSQL raw INSERT, round ${round}`);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    const kafkaLog = await KafkaEventLog.open({
      brokers: brokers.split(','),
      prefix: 'bench',
      partitions: 6,
      pool,
      log: silentLogger,
    });
    await measureAppends(kafkaLog, `Leadline Kafka log, round ${round}`);
    await kafkaLog.close();
    await rawKafka(round);
  }
  console.log(
    `log benchmark: ${SINGLES} single appends, ${BATCHES} batches of 100, ${LATENCY_SAMPLES} latency samples, ${ROUNDS} rounds; ${os.cpus().length} cores; Kafka at ${brokers}`,
  );
  const header = [
    '',
    'appends/s (batch 1)',
    'batch 1 p50',
    'events/s (batch 100)',
    'append→handler p50',
    'p99',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
} finally {
  await pool.end();
  kafkaBroker.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
