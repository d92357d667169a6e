import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/shared/logger.ts';

/**
 * Creates a fresh, migrated database on the test server and returns its URL. Every test
 * file (or test) gets its own, so tests never see each other's events. `admin`: a superuser
 * URL of another server (default: the run's test server). Named with the run's prefix: the
 * run's teardown drops them from a `DATABASE_URL` server; on another `admin` server, drop it
 * with {@link dropTestDatabase}.
 */
export async function createTestDatabase(admin = inject('pgAdminUrl')): Promise<string> {
  const name = `${inject('pgDatabasePrefix')}${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrate(url.toString(), silentLogger);
  return url.toString();
}

/**
 * Drops a database {@link createTestDatabase} made (`url`, on a server where the superuser's
 * `postgres` database exists), closing its connections first.
 */
export async function dropTestDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  if (!/^t_[0-9a-f_]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A test database with a pool and the PostgreSQL log on it (see {@link useTestLogDatabase}). */
export interface TestLogDatabase {
  url: string;
  pool: pg.Pool;
  log: PostgresEventLog;
}

/**
 * For the `describe` it is called in: a fresh database ({@link createTestDatabase}) with a
 * pool and the PostgreSQL log open on it, made in `beforeAll`, closed and dropped in
 * `afterAll`. Its fields are set once `beforeAll` has run: read them inside tests.
 */
export function useTestLogDatabase(): TestLogDatabase {
  const db = {} as TestLogDatabase;
  beforeAll(async () => {
    db.url = await createTestDatabase();
    db.pool = new pg.Pool(clientConfig(db.url));
    db.log = await PostgresEventLog.open({ url: db.url, pool: db.pool, log: silentLogger });
  });
  afterAll(async () => {
    await db.log?.close();
    await db.pool?.end();
    if (db.url) await dropTestDatabase(db.url);
  });
  return db;
}
