import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { rollback, withTransaction } from '../../src/db/transaction.ts';
import { insertNotifying } from '../../src/db/insert-notifying.ts';
import { readCheckpoint, storeCheckpointStatement } from '../../src/log/postgres/checkpoint.ts';
import { createTestDatabase } from '../support/database.ts';

describe('withTransaction: one BEGIN … COMMIT, rolled back on a throw', () => {
  let pool: pg.Pool;
  const rows = async () =>
    (await pool.query<{ note: string }>('SELECT note FROM notes ORDER BY note')).rows.map(
      (r) => r.note,
    );

  beforeAll(async () => {
    const url = await createTestDatabase();
    pool = new pg.Pool({ ...clientConfig(url), max: 2 });
    await pool.query('CREATE TABLE notes (note text PRIMARY KEY)');
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('commits what the body wrote and returns its result', async () => {
    const result = await withTransaction(pool, async (client) => {
      await client.query("INSERT INTO notes VALUES ('kept')");
      return 42;
    });
    expect(result).toBe(42);
    expect(await rows()).toEqual(['kept']);
  });

  it('rolls back on an error, rethrows it, and the pool gets its client back', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        await client.query("INSERT INTO notes VALUES ('lost')");
        await client.query("INSERT INTO notes VALUES ('kept')"); // 23505: duplicate key
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toEqual(['kept']);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('throw rollback(x) undoes the body on purpose and returns x', async () => {
    const result = await withTransaction(pool, async (client) => {
      await client.query("INSERT INTO notes VALUES ('undone')");
      throw rollback('changed my mind');
    });
    expect(result).toBe('changed my mind');
    expect(await rows()).toEqual(['kept']);
  });

  it('runs the setup statement inside the transaction', async () => {
    const isolation = await withTransaction(
      pool,
      async (client) =>
        (
          await client.query<{ level: string }>(
            "SELECT current_setting('transaction_isolation') AS level",
          )
        ).rows[0]!.level,
      { setup: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ' },
    );
    expect(isolation).toBe('repeatable read');
  });

  it('runs commitWith in the round trip that commits, and nothing is kept when it fails', async () => {
    await withTransaction(
      pool,
      async (client) => void (await client.query("INSERT INTO notes VALUES ('body')")),
      { commitWith: () => "INSERT INTO notes VALUES ('last')" },
    );
    expect(await rows()).toEqual(['body', 'kept', 'last']);
    await expect(
      withTransaction(
        pool,
        async (client) => void (await client.query("INSERT INTO notes VALUES ('undone')")),
        { commitWith: () => "INSERT INTO notes VALUES ('kept')" }, // 23505
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toEqual(['body', 'kept', 'last']);
    expect(pool.totalCount - pool.idleCount).toBe(0);
    await pool.query("DELETE FROM notes WHERE note IN ('body', 'last')");
  });

  it("stores a consumer's checkpoint from literals, whatever its name holds", async () => {
    const name = "projection:o'brien; DROP TABLE events; --";
    const checkpoint = { epoch: 1, transactionId: '987654321', position: '42' };
    await withTransaction(pool, async () => {}, {
      commitWith: () => storeCheckpointStatement(name, checkpoint, 3),
    });
    const client = await pool.connect();
    try {
      expect(await readCheckpoint(client, name)).toEqual(checkpoint);
    } finally {
      client.release();
    }
    expect(() =>
      storeCheckpointStatement(name, { ...checkpoint, position: '1; DROP TABLE x' }, 1),
    ).toThrow(/not a checkpoint/);
    expect(() => storeCheckpointStatement(name, { ...checkpoint, epoch: 1.5 }, 1)).toThrow(
      /not a checkpoint/,
    );
  });

  it('on a client the caller holds, leaves the client with the caller, usable', async () => {
    const client = await pool.connect();
    try {
      await withTransaction(client, async (tx) => {
        await tx.query("INSERT INTO notes VALUES ('by-client')");
      });
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      client.release();
    }
    expect(await rows()).toEqual(['by-client', 'kept']);
  });
});

describe('insertNotifying: an insert and its NOTIFY in one statement', () => {
  let pool: pg.Pool;
  let listener: pg.Client;
  const heard: string[] = [];

  beforeAll(async () => {
    const url = await createTestDatabase();
    pool = new pg.Pool({ ...clientConfig(url), max: 2 });
    await pool.query('CREATE TABLE queued (id text PRIMARY KEY)');
    listener = new pg.Client(clientConfig(url));
    await listener.connect();
    listener.on('notification', (message) => heard.push(message.channel));
    await listener.query('LISTEN queued_channel');
  });
  afterAll(async () => {
    await listener?.end();
    await pool?.end();
  });

  /** Waits until the listener has heard `count` notifications, or 5 s. */
  const hearing = async (count: number) => {
    for (let i = 0; i < 100 && heard.length < count; i++) await sleep(50);
  };
  const insert = (client: pg.ClientBase, ids: string[]) =>
    insertNotifying(
      client,
      'INSERT INTO queued (id) SELECT * FROM unnest($1::text[]) ON CONFLICT (id) DO NOTHING',
      [ids],
      'queued_channel',
    );

  it('counts the rows written and notifies once they commit, and not for a rollback', async () => {
    const written = await withTransaction(pool, async (client) => {
      const n = await insert(client, ['a', 'b']);
      await sleep(200);
      expect(heard).toEqual([]); // delivered at commit, not before
      return n;
    });
    expect(written).toBe(2);
    await hearing(1);
    expect(heard).toEqual(['queued_channel']);

    await expect(
      withTransaction(pool, async (client) => {
        await insert(client, ['c']);
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    await sleep(200);
    expect(heard).toHaveLength(1);
  });

  it('writes nothing and notifies nobody when every row is already there', async () => {
    const before = heard.length;
    expect(await withTransaction(pool, (client) => insert(client, ['a', 'b']))).toBe(0);
    expect(await withTransaction(pool, (client) => insert(client, ['b', 'd']))).toBe(1);
    await hearing(before + 1);
    await sleep(200);
    expect(heard.length - before).toBe(1);
  });
});
