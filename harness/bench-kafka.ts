import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { freePort } from './service-process.ts';

/** A Kafka broker for a bench: its bootstrap address and how to stop it. */
export interface BenchKafka {
  /** Comma-separated bootstrap servers. */
  brokers: string;
  /** Stops the broker this bench started (nothing for one named by `KAFKA_BROKERS`). */
  stop(): void;
}

/**
 * The broker a bench uses: the one `KAFKA_BROKERS` names, else a single-node Apache Kafka
 * started from `deploy/kafka` under `dir/kafka` on free ports (blocks until it is ready).
 * @throws Error when the local broker cannot start (`deploy/kafka/start.mjs`'s message).
 */
export async function startBenchKafka(dir: string): Promise<BenchKafka> {
  const named = process.env.KAFKA_BROKERS;
  if (named) return { brokers: named, stop: () => {} };
  const env = {
    ...process.env,
    KAFKA_DIR: path.join(dir, 'kafka'),
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
  };
  const brokers = execFileSync(process.execPath, ['deploy/kafka/start.mjs'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .toString()
    .trim()
    .split('\n')
    .pop()!;
  return {
    brokers,
    stop: () => execFileSync(process.execPath, ['deploy/kafka/stop.mjs'], { env, stdio: 'ignore' }),
  };
}
