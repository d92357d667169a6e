import { randomBytes } from 'node:crypto';
import type { Consumer as KafkaConsumer, ConsumerConfig, Kafka } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { KafkaEventLog } from '../../src/log/kafka/kafka-event-log.ts';
import { KafkaSubscription } from '../../src/log/kafka/kafka-subscription.ts';
import { allTopics, topicNames } from '../../src/log/kafka/topics.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from '../support/database.ts';
import { contractEvent, recordingConsumer } from '../support/log-contract.ts';

const brokers = inject('kafkaBrokers');
if (!brokers) console.log(`[kafka] consumer crash test skipped: ${inject('kafkaSkipReason')}`);

/**
 * kafkajs restarts a consumer itself only after a retriable failure; after any other it
 * emits `CRASH` with `restart: false` and stays stopped. The subscription must start it again,
 * or its partitions go unread until the process restarts.
 */
describe.skipIf(!brokers)('Kafka subscription: a consumer kafkajs leaves stopped', () => {
  let pool: pg.Pool;
  let log: KafkaEventLog;
  const prefix = `crash${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    pool = new pg.Pool({ ...clientConfig(await createTestDatabase()), max: 5 });
    await pool.query(`CREATE TABLE contract_effects (consumer text, event_id uuid, stream_id text,
      seq int, id bigserial PRIMARY KEY)`);
    log = await KafkaEventLog.open({
      brokers: brokers.split(','),
      prefix,
      partitions: 1,
      pool,
      log: silentLogger,
    });
  });
  afterAll(async () => {
    await log?.close();
    await pool?.end();
  });

  it('is started again after a crash kafkajs does not recover from, and reads on from its offsets', async () => {
    // The real client, but each consumer it makes tells the test its CRASH listener.
    const realKafka = (log as unknown as { kafka: Kafka }).kafka;
    const made: KafkaConsumer[] = [];
    const crashListeners: Array<(event: unknown) => void> = [];
    const kafka = {
      consumer: (config: ConsumerConfig) => {
        const consumer = realKafka.consumer(config);
        const on = consumer.on.bind(consumer);
        consumer.on = ((name: string, listener: (event: unknown) => void) => {
          if (name === consumer.events.CRASH) crashListeners.push(listener);
          return on(name as never, listener as never);
        }) as KafkaConsumer['on'];
        made.push(consumer);
        return consumer;
      },
    } as unknown as Kafka;
    const subscription = new KafkaSubscription(
      recordingConsumer('crashing'),
      {},
      {
        kafka,
        admin: (log as unknown as { admin: never }).admin,
        pool,
        topics: allTopics(topicNames(prefix)),
        groupPrefix: prefix,
        log: silentLogger,
      },
    );
    const handled = async () =>
      (
        await pool.query<{ seq: number }>(
          "SELECT seq FROM contract_effects WHERE consumer = 'crashing' ORDER BY id",
        )
      ).rows.map((r) => r.seq);
    try {
      await log.append([contractEvent('lead:crash:1', 1)]);
      await subscription.whenCaughtUp(30_000);
      expect(await handled()).toEqual([1]);

      // What kafkajs does on a failure it does not retry: disconnect, then CRASH, no restart.
      await made[0]!.disconnect();
      for (const listener of crashListeners) {
        listener({ payload: { error: new Error('not retriable'), groupId: 'g', restart: false } });
      }
      await log.append([contractEvent('lead:crash:1', 2)]);
      await subscription.whenCaughtUp(30_000);
      expect(made.length).toBe(2);
      expect(await handled()).toEqual([1, 2]);
    } finally {
      await subscription.stop();
    }
  });
});
