import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../../src/shared/logger.ts';

describe('embedded PostgreSQL on a busy machine', () => {
  let dir: string | undefined;
  let db: EmbeddedDatabase | undefined;
  let squatter: Server | undefined;
  afterAll(async () => {
    await db?.stop();
    squatter?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts on another free port when its port was taken between the choice and the start', async () => {
    squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const taken = (squatter.address() as { port: number }).port;
    dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-port-'));

    db = await startEmbeddedPostgres(dir, 'port-test', silentLogger, { port: taken });

    const port = Number(new URL(db.url).port);
    expect(port).not.toBe(taken);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    await client.end();
    expect(rows[0]!.one).toBe(1);
  });
});
