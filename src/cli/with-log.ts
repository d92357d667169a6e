import type { Config } from '../config/config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import type { EventLog } from '../log/event-log.ts';
import { openEventLog } from '../runtime/open-log.ts';
import { createLogger, type Logger } from '../shared/logger.ts';

/** A one-shot CLI command's view of Leadline: the database and the log, quiet logs on stderr. */
export interface CliContext {
  db: Database;
  log: EventLog;
  logger: Logger;
}

/**
 * Opens the database (joining a running embedded server, or starting one for the duration of
 * the command) and the log, runs `body`, and closes both whatever happens.
 */
export async function withLog<T>(
  config: Config,
  body: (ctx: CliContext) => Promise<T>,
): Promise<T> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr as never);
  const db = await openDatabase(config, logger);
  try {
    const log = await openEventLog(config, db, logger);
    try {
      return await body({ db, log, logger });
    } finally {
      await log.close();
    }
  } finally {
    await db.close();
  }
}
