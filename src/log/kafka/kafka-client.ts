import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../../shared/logger.ts';

/**
 * A kafkajs client whose own logs (warn and error) go to pino at warn. Kept in one place so another
 * client library could replace kafkajs (no release since 2023, design §3) without touching
 * the adapter's contract.
 */
export function createKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs reports transient broker states it retries itself ("coordinator is loading")
        // at ERROR; Leadline logs real failures itself, so these stay at warn.
        log.warn({ kafka: namespace, kafkaLevel: level, ...rest }, message);
      },
    retry: { initialRetryTime: 100, retries: 8 },
  });
}
