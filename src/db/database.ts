import pg from 'pg';
import type { Config } from '../config/config.ts';
import { clientConfig } from './client-config.ts';
import { loadOrCreateLocalSecrets } from '../config/local-secrets.ts';
import type { Logger } from '../shared/logger.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { migrate } from './migrate.ts';
import { ThrottledLog } from '../shared/throttled-log.ts';

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

/** How long (ms) taking a pooled connection may wait before it fails as unavailable. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Handles every pooled connection's `error` event, idle or checked out. node-postgres emits
 * `error` on a connection the server ends (57P01 "terminating connection due to
 * administrator command" or an unexpected postmaster exit, 25P03 idle-in-transaction
 * timeout) or that breaks; unhandled, Node ends the process. The failed connection is dropped
 * by the pool when released, the caller's query fails and is retried by its owner; the log
 * line is throttled (one per 10 s) because an outage breaks every connection at once.
 */
export function watchConnections(pool: pg.Pool, log: Logger): void {
  const throttled = new ThrottledLog(log);
  const report = (error: Error) =>
    throttled.warn(
      'connection',
      { err: error, code: (error as { code?: string }).code },
      'PostgreSQL connection lost; reconnecting',
    );
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
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
  {
    migrateSchema = true,
    superviseEmbedded = false,
  }: {
    migrateSchema?: boolean;
    /** Restart the embedded server whenever it goes away (`leadline serve`). */
    superviseEmbedded?: boolean;
  } = {},
): Promise<Database> {
  let url = config.databaseUrl;
  let stopServer = async () => {};
  let kind: Database['kind'] = 'external';
  if (!url) {
    const secrets = await loadOrCreateLocalSecrets(config.dataDir);
    const embedded = await startEmbeddedPostgres(config.dataDir, secrets.postgresPassword, log, {
      supervise: superviseEmbedded,
    });
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
  const pool = new pg.Pool({
    ...clientConfig(url),
    max: 10,
    // A server that accepts TCP but never answers (stopped, overloaded) must not hold a
    // caller forever: waiting for a connection fails after this long.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  watchConnections(pool, log);
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
