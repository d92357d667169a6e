import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import pg from 'pg';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { provisionKafka, type ProvisionedKafka } from './kafka-provision.ts';
import { useCompiledBuild } from '../../harness/compiled-build.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server the tests create their databases on. */
    pgAdminUrl: string;
    /** Where it came from, printed once so a reader of the CI log knows what ran. */
    pgSource: string;
    /** This run's prefix of test database names (`createTestDatabase`), dropped at the end. */
    pgDatabasePrefix: string;
    /** Bootstrap servers of the test Kafka broker; empty when there is none. */
    kafkaBrokers: string;
    /** Why there is no Kafka broker (the Kafka suites print it and skip). */
    kafkaSkipReason: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let kafka: ProvisionedKafka | undefined;
let stopContainer: (() => Promise<void>) | undefined;

async function dockerAnswers(): Promise<boolean> {
  try {
    await promisify(execFile)('docker', ['info'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
let dir: string | undefined;
/** The server the run's databases were created on, when it outlives the run (`DATABASE_URL`). */
let keptServer: string | undefined;
const databasePrefix = `t_${randomBytes(4).toString('hex')}_`;

/**
 * Provisions one PostgreSQL server for the whole run, in this order: `DATABASE_URL` (used as
 * a superuser URL; each test file creates its own database on it), a Docker engine
 * (testcontainers), else an embedded PostgreSQL in a temporary directory. Then Kafka (see
 * `kafka-provision.ts`).
 */
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  let source = 'DATABASE_URL';
  if (!url && (await dockerAnswers())) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:17').start();
    stopContainer = async () => void (await container.stop());
    url = container.getConnectionUri().replace(/\/[^/]*$/, '/postgres');
    source = 'PostgreSQL via testcontainers';
  }
  if (!url) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-test-pg-'));
    embedded = await startEmbeddedPostgres(dir, 'leadline-test', silentLogger);
    url = embedded.url.replace(/\/leadline$/, '/postgres');
    source = `embedded PostgreSQL in ${dir}`;
  }
  if (embedded || stopContainer) await skipDiskFlushes(url);
  console.log(`[test setup] PostgreSQL: ${source}`);
  project.provide('pgAdminUrl', url);
  project.provide('pgSource', source);
  project.provide('pgDatabasePrefix', databasePrefix);
  if (source === 'DATABASE_URL') keptServer = url;

  await buildForTests();
  // `vitest` (watch mode) runs the global setup once: recompile before each rerun.
  project.onTestsRerun(() => buildForTests());

  kafka = await provisionKafka();
  if (kafka.brokers) {
    console.log(`[test setup] Kafka: ${kafka.source} at ${kafka.brokers}`);
  } else if (process.env.LEADLINE_REQUIRE_KAFKA) {
    throw new Error(
      `LEADLINE_REQUIRE_KAFKA is set but no Kafka broker is available: ${kafka.skipReason}`,
    );
  } else {
    console.log(`[test setup] Kafka: none (${kafka.skipReason}); the Kafka suites will be skipped`);
  }
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('kafkaSkipReason', kafka.skipReason);
}

/**
 * The run's compiled build (`harness/compiled-build.ts`): every `leadline` process the tests
 * start runs it, as production does, and starts in about half the CPU it took through tsx
 * (the suite starts hundreds). `LEADLINE_TEST_FROM_SOURCES=1` runs the sources through tsx
 * instead. Vitest starts the test workers, which inherit this process's environment
 * (`LEADLINE_DIST`), after the global setup has finished.
 */
const buildForTests = (): Promise<void> =>
  useCompiledBuild('LEADLINE_TEST_FROM_SOURCES', (line) =>
    console.log(`[test setup] leadline: ${line}`),
  );

/**
 * Stops a throwaway test server from flushing to disk (`fsync`, `full_page_writes` off): no
 * test crashes it (the fault tests take their own servers down), and tests wait on thousands
 * of commits. Commit semantics are untouched (`synchronous_commit` stays as each connection
 * sets it). Never applied to a `DATABASE_URL` server.
 */
async function skipDiskFlushes(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ALTER SYSTEM SET fsync = off');
    await client.query('ALTER SYSTEM SET full_page_writes = off');
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end();
  }
}

/**
 * Drops this run's test databases from a server that outlives the run (`DATABASE_URL`), so
 * repeated runs do not pile databases up on it. Failures are printed, not thrown: the tests
 * have passed or failed by then.
 */
async function dropRunDatabases(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      'SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1)',
      [databasePrefix],
    );
    for (const { name } of rows)
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } catch (error) {
    console.log(`[test teardown] could not drop the run's test databases: ${String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function teardown(): Promise<void> {
  if (keptServer) await dropRunDatabases(keptServer);
  await kafka?.stop();
  await stopContainer?.();
  await embedded?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
