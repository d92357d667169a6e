import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './service-process.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A Kafka-compatible broker for the tests, or why there is none. */
export interface ProvisionedKafka {
  brokers: string;
  source: string;
  skipReason: string;
  stop(): Promise<void>;
}

async function answers(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Provisions Kafka for the test run, in this order: `KAFKA_BROKERS` if set; a Docker engine
 * if one answers (testcontainers, Redpanda); `java` and `mvn` present → the local Apache Kafka
 * broker of `deploy/kafka` in a temporary directory on free ports; otherwise none, with the
 * reason (the Kafka suites print it and skip; everything else runs).
 */
export async function provisionKafka(): Promise<ProvisionedKafka> {
  const none = async () => {};
  if (process.env.KAFKA_BROKERS) {
    return {
      brokers: process.env.KAFKA_BROKERS,
      source: 'KAFKA_BROKERS',
      skipReason: '',
      stop: none,
    };
  }
  if (await answers('docker', ['info'])) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const port = await freePort();
    const container = await new GenericContainer(
      'docker.redpanda.com/redpandadata/redpanda:v24.2.7',
    )
      .withExposedPorts({ container: 9092, host: port })
      .withCommand([
        'redpanda',
        'start',
        '--mode',
        'dev-container',
        '--smp',
        '1',
        '--overprovisioned',
        '--kafka-addr',
        'PLAINTEXT://0.0.0.0:9092',
        '--advertise-kafka-addr',
        `PLAINTEXT://127.0.0.1:${port}`,
      ])
      .withWaitStrategy(Wait.forLogMessage(/Successfully started Redpanda/))
      .start();
    return {
      brokers: `127.0.0.1:${port}`,
      source: 'Redpanda via testcontainers',
      skipReason: '',
      stop: async () => void (await container.stop()),
    };
  }
  const hasJava = await answers('java', ['-version']);
  const hasMaven = await answers('mvn', ['-v']);
  if (!hasJava || !hasMaven) {
    return {
      brokers: '',
      source: 'none',
      skipReason: `no KAFKA_BROKERS, no Docker engine, and ${hasJava ? 'mvn' : 'java'} is not installed`,
      stop: none,
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-test-kafka-'));
  const env = {
    ...process.env,
    KAFKA_DIR: dir,
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
  };
  const started = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'deploy/kafka/start.mjs')], {
      cwd: ROOT,
      env,
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('exit', (code) => resolve({ code, out }));
  });
  const stop = async () => {
    await run(process.execPath, [path.join(ROOT, 'deploy/kafka/stop.mjs')], {
      cwd: ROOT,
      env,
      timeout: 60_000,
    }).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  if (started.code !== 0) {
    await stop();
    throw new Error(`the local Kafka broker did not start (exit ${started.code}):\n${started.out}`);
  }
  const brokers = started.out.trim().split('\n').pop()!.trim();
  return { brokers, source: `local Apache Kafka (deploy/kafka) in ${dir}`, skipReason: '', stop };
}
