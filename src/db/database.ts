import pg from 'pg';
import type { Config } from '../config/config.ts';
import { clientConfig } from './client-config.ts';
import { loadOrCreateLocalSecrets } from '../config/local-secrets.ts';
import type { Logger } from '../shared/logger.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { migrate } from './migrate.ts';

/** The PostgreSQL server Leadline uses (read models, outbox, checkpoints, and the log by default). */
export interface Database {
  /** Connection string; also used to open dedicated connections (LISTEN, consumers). */
  url: string;
  /** Shared pool for short queries. */
  pool: pg.Pool;
  /** `embedded` when Leadline started the server itself under the data directory. */
  kind: 'embedded' | 'external';
  /** Closes the pool, then stops the embedded server if this process owns it. */
  close(): Promise<void>;
}

/**
 * Opens the database: `DATABASE_URL` when set, otherwise the embedded PostgreSQL under the
 * data directory (started or joined). Runs migrations unless `migrateSchema` is false.
 *
 * @throws Error when the server cannot be reached or started, or a migration fails.
 */
export async function openDatabase(
  config: Config,
  log: Logger,
  { migrateSchema = true }: { migrateSchema?: boolean } = {},
): Promise<Database> {
  let url = config.databaseUrl;
  let stopServer = async () => {};
  let kind: Database['kind'] = 'external';
  if (!url) {
    const secrets = await loadOrCreateLocalSecrets(config.dataDir);
    const embedded = await startEmbeddedPostgres(config.dataDir, secrets.postgresPassword, log);
    url = embedded.url;
    stopServer = embedded.stop;
    kind = 'embedded';
  }
  try {
    if (migrateSchema) await migrate(url, log);
  } catch (error) {
    await stopServer();
    throw error;
  }
  const pool = new pg.Pool({ ...clientConfig(url), max: 10 });
  pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed'));
  return {
    url,
    pool,
    kind,
    async close() {
      await pool.end();
      await stopServer();
    },
  };
}
