import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../harness/service-process.ts';

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
  const broker = await LocalBroker.create();
  try {
    await broker.start();
  } catch (error) {
    await broker.remove();
    throw error;
  }
  const stop = () => broker.remove();
  return {
    brokers: broker.brokers,
    source: `local Apache Kafka (deploy/kafka) in ${broker.dir}`,
    skipReason: '',
    stop,
  };
}

/**
 * A local Apache Kafka broker of `deploy/kafka` in its own directory and ports, which a test
 * may stop and start again on the same data (a broker restart mid-burst).
 */
export class LocalBroker {
  private constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly brokers: string,
  ) {}

  /** Picks a directory and free ports; nothing runs until {@link start}. */
  static async create(): Promise<LocalBroker> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-test-kafka-'));
    const port = await freePort();
    const env = {
      ...process.env,
      KAFKA_DIR: dir,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
    };
    return new LocalBroker(dir, env, `127.0.0.1:${port}`);
  }

  /** Starts the broker (on its existing data, if any) and waits until it answers. */
  async start(): Promise<void> {
    const started = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'deploy/kafka/start.mjs')], {
        cwd: ROOT,
        env: this.env,
      });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      child.on('exit', (code) => resolve({ code, out }));
    });
    if (started.code !== 0) {
      throw new Error(
        `the local Kafka broker did not start (exit ${started.code}):\n${started.out}`,
      );
    }
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 30 s); its data stays. */
  async stop(): Promise<void> {
    await run(process.execPath, [path.join(ROOT, 'deploy/kafka/stop.mjs')], {
      cwd: ROOT,
      env: this.env,
      timeout: 60_000,
    }).catch(() => {});
  }

  /** Stops the broker and deletes its directory. */
  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
