import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * How a bulk reader (a restore's rebuild) would like the log to read; an adapter that has no
 * such setting ignores it.
 */
export interface LogTuning {
  /** Fallback poll interval (ms) of a log that polls between wake-ups. Default `config.pollIntervalMs`. */
  pollIntervalMs?: number;
  /** Events per consumer batch of a log that reads in batches. Default: the adapter's. */
  batchSize?: number;
  /**
   * How long (ms) a replaying consumer that has caught up lets events gather before reading
   * again (a log that polls; see `PgSubscriptionSettings.replayGatherMs`). Default none.
   */
  replayGatherMs?: number;
}

/**
 * Opens the log `LOG_BACKEND` names: the `events` table on `db`, or Kafka (with its append
 * registry and consumer offsets on `db`). The one place that picks an adapter: everything
 * else speaks to the {@link EventLog} port.
 * @throws Error when the database or the Kafka brokers cannot be reached.
 */
export async function openEventLog(
  config: Config,
  db: Database,
  logger: Logger,
  tuning: LogTuning = {},
): Promise<EventLog> {
  // Each adapter is loaded only when it is the log (kafkajs stays out of the PostgreSQL case).
  if (config.logBackend === 'kafka') {
    const { KafkaEventLog } = await import('../log/kafka/kafka-event-log.ts');
    return KafkaEventLog.open({
      brokers: config.kafka.brokers,
      prefix: config.kafka.topicPrefix,
      partitions: config.kafka.partitions,
      replicationFactor: config.kafka.replicationFactor,
      pool: db.pool,
      log: logger,
    });
  }
  const { PostgresEventLog } = await import('../log/postgres/postgres-event-log.ts');
  return PostgresEventLog.open({
    url: db.url,
    pool: db.pool,
    log: logger,
    pollIntervalMs: tuning.pollIntervalMs ?? config.pollIntervalMs,
    ...(tuning.batchSize !== undefined ? { batchSize: tuning.batchSize } : {}),
    ...(tuning.replayGatherMs !== undefined ? { replayGatherMs: tuning.replayGatherMs } : {}),
  });
}
