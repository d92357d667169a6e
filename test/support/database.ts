import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/shared/logger.ts';

/**
 * Creates a fresh, migrated database on the test server and returns its URL. Every test
 * file (or test) gets its own, so tests never see each other's events. `admin`: a superuser
 * URL of another server (default: the run's test server).
 */
export async function createTestDatabase(admin = inject('pgAdminUrl')): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
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
