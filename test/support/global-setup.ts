import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import os from 'node:os';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { provisionKafka, type ProvisionedKafka } from './kafka-provision.ts';

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

  await buildCompiledService();
  // `vitest` (watch mode) runs the global setup once: recompile before each rerun.
  project.onTestsRerun(() => buildCompiledService());

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

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the run's compiled build goes (ignored by git, ESLint and Prettier). */
const TEST_DIST = path.join(ROOT, 'test-artifacts/dist');
const SOURCES = path.join(ROOT, 'src');

/**
 * Compiles the service as the container image does (`tsc -p tsconfig.build.json`, the
 * migrations copied beside it) into {@link TEST_DIST}, and points `LEADLINE_DIST` at it, so
 * every `leadline` process the tests start runs the compiled build (`leadlineCommand` in
 * `harness/service-process.ts`), which is also what production runs. About 10 s on 2 cores
 * from nothing, a few seconds when little changed (incremental); it spares each service
 * start about 2 s of CPU, and each CLI run about 1 s, of loading every module through tsx.
 * The output holds exactly the sources' modules and migrations: what a deleted or renamed
 * source left behind is removed, and a missing output rebuilds from nothing. A type error
 * is printed, not fatal (tsc still emits; `npm test` typechecks before it runs the tests).
 * `LEADLINE_TEST_FROM_SOURCES=1` runs the sources through tsx instead.
 * @throws when tsc emits nothing (an unreadable tsconfig, say).
 */
async function buildCompiledService(): Promise<void> {
  if (process.env.LEADLINE_TEST_FROM_SOURCES === '1') {
    delete process.env.LEADLINE_DIST;
    console.log('[test setup] leadline: from the sources (tsx), as LEADLINE_TEST_FROM_SOURCES=1');
    return;
  }
  const started = performance.now();
  const modules = (await readdir(SOURCES, { recursive: true }))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.ts$/, '.js'));
  // tsc's incremental state does not notice an output deleted under it: start afresh then.
  const missing = await Promise.all(
    modules.map((file) =>
      access(path.join(TEST_DIST, file)).then(
        () => false,
        () => true,
      ),
    ),
  );
  if (missing.some(Boolean)) await rm(TEST_DIST, { recursive: true, force: true });
  await compile();
  // Nor does it remove what a deleted source compiled to.
  const expected = new Set(modules);
  for (const file of await readdir(TEST_DIST, { recursive: true })) {
    if (file.endsWith('.js') && !expected.has(file)) await rm(path.join(TEST_DIST, file));
  }
  const migrations = path.join(TEST_DIST, 'db/migrations');
  await rm(migrations, { recursive: true, force: true });
  await cp(path.join(SOURCES, 'db/migrations'), migrations, { recursive: true });
  // Vitest starts the test workers, which inherit this process's environment, after the
  // global setup has finished (`harness/service-process.ts` reads it in each of them).
  process.env.LEADLINE_DIST = TEST_DIST;
  console.log(
    `[test setup] leadline: compiled into ${path.relative(ROOT, TEST_DIST)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** `tsc -p tsconfig.build.json` into {@link TEST_DIST}, incrementally; see {@link buildCompiledService}. */
async function compile(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(
      process.execPath,
      [
        tsc,
        '-p',
        path.join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        TEST_DIST,
        '--incremental',
        '--tsBuildInfoFile',
        path.join(TEST_DIST, '.tsbuildinfo'),
      ],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { code, stdout } = error as { code?: number; stdout?: string };
    // Exit 2: diagnostics, outputs written; anything else: nothing to run.
    if (code !== 2) {
      throw new Error(`compiling the service for the tests failed:\n${stdout ?? String(error)}`);
    }
    console.log(`[test setup] leadline: compiled with type errors (tests run anyway):\n${stdout}`);
  }
}

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
