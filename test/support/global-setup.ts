import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../../src/shared/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server the tests create their databases on. */
    pgAdminUrl: string;
    /** Where it came from, printed once so a reader of the CI log knows what ran. */
    pgSource: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let dir: string | undefined;

/**
 * Provisions one PostgreSQL server for the whole run, in this order: `DATABASE_URL` (used as
 * a superuser URL; each test file creates its own database on it), else an embedded
 * PostgreSQL in a temporary directory.
 */
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  let source = 'DATABASE_URL';
  if (!url) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-test-pg-'));
    embedded = await startEmbeddedPostgres(dir, 'leadline-test', silentLogger);
    url = embedded.url.replace(/\/leadline$/, '/postgres');
    source = `embedded PostgreSQL in ${dir}`;
  }
  console.log(`[test setup] PostgreSQL: ${source}`);
  project.provide('pgAdminUrl', url);
  project.provide('pgSource', source);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
