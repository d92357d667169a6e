import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../shared/logger.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Brings the schema up to date with node-pg-migrate (SQL files in `src/db/migrations`,
 * applied in name order, each in its own transaction, under node-pg-migrate's advisory
 * lock so concurrent starts are safe).
 *
 * @returns the names of the migrations applied now (empty when already current).
 * @throws Error when a migration fails; nothing of that migration is kept.
 */
export async function migrate(databaseUrl: string, log: Logger): Promise<string[]> {
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
