import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../../shared/logger.ts';

/**
 * A kafkajs client whose own logs go to pino at warn and above. Kept in one place so another
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
        const fields = { kafka: namespace, ...rest };
        if (level === logLevel.ERROR) log.error(fields, message);
        else log.warn(fields, message);
      },
    retry: { initialRetryTime: 100, retries: 8 },
  });
}
