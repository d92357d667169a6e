import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { EventLog } from '../log/event-log.ts';
import { PostgresEventLog } from '../log/postgres/postgres-event-log.ts';
import { ConfigurationError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * Opens the log `LOG_BACKEND` names on `db`.
 * @throws ConfigurationError for a backend this build cannot open.
 */
export async function openEventLog(
  config: Config,
  db: Database,
  logger: Logger,
): Promise<EventLog> {
  if (config.logBackend !== 'postgres') {
    throw new ConfigurationError(
      `LOG_BACKEND=${config.logBackend} is not available in this build yet`,
    );
  }
  return PostgresEventLog.open({
    url: db.url,
    pool: db.pool,
    log: logger,
    pollIntervalMs: config.pollIntervalMs,
  });
}
