import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../shared/logger.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** How long (ms) a start waits for another process's migration run to finish. */
const LOCK_WAIT_MS = 60_000;

/**
 * Brings the schema up to date with node-pg-migrate (SQL files in `src/db/migrations`,
 * applied in name order, each in its own transaction, under node-pg-migrate's advisory
 * lock). Processes starting together (an api and workers, two CLI commands) take turns:
 * node-pg-migrate refuses at once when another holds the lock ("Another migration is
 * already running"), so this waits and tries again, for up to 60 s.
 *
 * @returns the names of the migrations applied now (empty when already current).
 * @throws Error when a migration fails (nothing of that migration is kept), or when the lock
 *   stayed taken for 60 s.
 */
export async function migrate(databaseUrl: string, log: Logger): Promise<string[]> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await migrateOnce(databaseUrl, log);
    } catch (error) {
      const busy = /Another migration is already running/.test((error as Error)?.message ?? '');
      if (!busy || Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

async function migrateOnce(databaseUrl: string, log: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    checkOrder: true,
    logger: {
      debug: (msg: string) => log.debug(msg),
      info: (msg: string) => log.debug(msg),
      warn: (msg: string) => log.warn(msg),
      error: (msg: string) => log.error(msg),
    },
  });
  if (applied.length > 0) log.info({ migrations: applied.map((m) => m.name) }, 'schema migrated');
  return applied.map((m) => m.name);
}
