import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { clientConfig } from '../../src/db/client-config.ts';
import type { EventLog } from '../../src/log/event-log.ts';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';

/** A log opened on a test database, with a pool to that database. */
export interface OpenedLog {
  log: EventLog;
  pool: pg.Pool;
  /** Text to replace in positions so two logs compare (Kafka topic prefix), if any. */
  positionPrefix?: string;
  close(): Promise<void>;
}

/** One log backend a suite runs against: its name (for `describe.each`) and how to open it. */
export interface LogBackend {
  backend: string;
  open: (url: string) => Promise<OpenedLog>;
}

/**
 * The backends a suite comparing logs runs on: PostgreSQL always, Kafka when the run has a
 * broker (`brokers`, comma-separated; each opening gets topics of its own, 3 partitions).
 * `label` starts the Kafka topic prefix, so a failing run's topics say whose they are.
 */
export function logBackends(brokers: string | undefined, label: string): LogBackend[] {
  const postgres: LogBackend = {
    backend: 'postgres',
    open: async (url) => {
      const pool = new pg.Pool({ ...clientConfig(url), max: 12 });
      const log = await PostgresEventLog.open({
        url,
        pool,
        log: silentLogger,
        pollIntervalMs: 200,
      });
      return { log, pool, close: async () => (await log.close(), await pool.end()) };
    },
  };
  if (!brokers) return [postgres];
  const kafka: LogBackend = {
    backend: 'kafka',
    open: async (url) => {
      const pool = new pg.Pool({ ...clientConfig(url), max: 12 });
      const prefix = `${label}${randomBytes(4).toString('hex')}`;
      const log = await KafkaEventLog.open({
        brokers: brokers.split(','),
        prefix,
        partitions: 3,
        pool,
        log: silentLogger,
      });
      return {
        log,
        pool,
        positionPrefix: prefix,
        close: async () => (await log.close(), await pool.end()),
      };
    },
  };
  return [postgres, kafka];
}
