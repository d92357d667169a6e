import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from '../support/database.ts';
import { describeLogContract } from '../support/log-contract.ts';

const brokers = inject('kafkaBrokers');
if (!brokers) console.log(`[kafka] Kafka log contract skipped: ${inject('kafkaSkipReason')}`);

describe.skipIf(!brokers)('Kafka log', () => {
  describeLogContract('kafka', async () => {
    const url = await createTestDatabase();
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const pools: pg.Pool[] = [];
    const logs: KafkaEventLog[] = [];
    const open = async () => {
      const pool = new pg.Pool({ ...clientConfig(url), max: 10 });
      pools.push(pool);
      const log = await KafkaEventLog.open({
        brokers: brokers.split(','),
        prefix,
        partitions: 3,
        pool,
        log: silentLogger,
      });
      logs.push(log);
      return log;
    };
    const main = await open();
    return {
      log: main,
      databaseUrl: url,
      childEnv: {
        LOG_BACKEND: 'kafka',
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_PARTITIONS: '3',
        DATABASE_URL: url,
      },
      openAnother: open,
      async close() {
        for (const log of logs) await log.close().catch(() => {});
        for (const pool of pools) await pool.end().catch(() => {});
      },
    };
  });
});
