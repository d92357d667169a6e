import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import { rollback, withTransaction } from '../../src/db/transaction.ts';
import { runWrites } from '../../src/db/combined-writes.ts';
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

describe('runWrites: inserts and their NOTIFYs in one statement', () => {
  let pool: pg.Pool;
  let listener: pg.Client;
  const heard: string[] = [];

  beforeAll(async () => {
    const url = await createTestDatabase();
    pool = new pg.Pool({ ...clientConfig(url), max: 2 });
    await pool.query('CREATE TABLE queued (id text PRIMARY KEY)');
    await pool.query('CREATE TABLE states (id text PRIMARY KEY, n int NOT NULL)');
    await pool.query('CREATE TABLE other (id text PRIMARY KEY, at timestamptz NOT NULL)');
    listener = new pg.Client(clientConfig(url));
    await listener.connect();
    listener.on('notification', (message) => heard.push(message.channel));
    await listener.query('LISTEN queued_channel');
    await listener.query('LISTEN other_channel');
  });
  afterAll(async () => {
    await listener?.end();
    await pool?.end();
  });

  /** Waits until the listener has heard `count` notifications, or 5 s. */
  const hearing = async (count: number) => {
    for (let i = 0; i < 100 && heard.length < count; i++) await sleep(50);
  };
  const queued = (ids: string[]) => ({
    insert: 'INSERT INTO queued (id) SELECT * FROM unnest($1::text[]) ON CONFLICT (id) DO NOTHING',
    values: [ids],
    channel: 'queued_channel',
  });
  const insert = async (client: pg.ClientBase, ids: string[]) =>
    (await runWrites(client, [queued(ids)]))[0];

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

  it('runs several writes of different tables at once, each with its own parameters', async () => {
    const before = heard.length;
    const at = '2026-11-29T12:00:00.000Z';
    const counts = await withTransaction(pool, (client) =>
      runWrites(client, [
        {
          insert: `INSERT INTO states (id, n) SELECT * FROM unnest($1::text[], $2::int[])
                   ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n`,
          values: [
            ['s1', 's2'],
            [1, 2],
          ],
        },
        undefined,
        queued(['a', 'e', 'f']),
        {
          insert: 'INSERT INTO other (id, at) SELECT $1::text, $2::timestamptz',
          values: ['o1', at],
          channel: 'other_channel',
        },
      ]),
    );
    expect(counts).toEqual([2, 0, 2, 1]);
    expect((await pool.query('SELECT id, n FROM states ORDER BY id')).rows).toEqual([
      { id: 's1', n: 1 },
      { id: 's2', n: 2 },
    ]);
    expect((await pool.query('SELECT id FROM queued ORDER BY id')).rows.map((r) => r.id)).toEqual([
      'a',
      'b',
      'd',
      'e',
      'f',
    ]);
    const other = await pool.query<{ at: Date }>("SELECT at FROM other WHERE id = 'o1'");
    expect(other.rows[0]!.at.toISOString()).toBe(at);
    await hearing(before + 2);
    await sleep(200);
    expect(heard.slice(before).sort()).toEqual(['other_channel', 'queued_channel']);
  });

  it('notifies only for the writes that wrote: a conflict that updates nothing counts no row', async () => {
    await pool.query("INSERT INTO other (id, at) VALUES ('frozen', '2026-01-01T00:00:00Z')");
    const before = heard.length;
    // Parameters past $9 in both writes: the second's $1…$12 become $14…$25.
    const twelve = (id: string) => ({
      insert: `INSERT INTO other (id, at)
               SELECT $1::text, $2::timestamptz WHERE $3 = 3 AND $4 = 4 AND $5 = 5 AND $6 = 6
                 AND $7 = 7 AND $8 = 8 AND $9 = 9 AND $10 = 10 AND $11 = 11 AND $12 = 12
               ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at WHERE other.id <> 'frozen'`,
      values: [id, '2026-11-29T00:00:00Z', 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      channel: 'other_channel',
    });
    const counts = await withTransaction(pool, (client) =>
      runWrites(client, [
        {
          insert: `INSERT INTO queued (id) SELECT $1::text WHERE $2 = 2 AND $3 = 3 AND $4 = 4
                   AND $5 = 5 AND $6 = 6 AND $7 = 7 AND $8 = 8 AND $9 = 9 AND $10 = 10
                   ON CONFLICT (id) DO NOTHING`,
          values: ['a', 2, 3, 4, 5, 6, 7, 8, 9, 10], // 'a' is there already
          channel: 'queued_channel',
        },
        twelve('frozen'), // the conflict's WHERE leaves the row as it was
      ]),
    );
    expect(counts).toEqual([0, 0]);
    await sleep(300);
    expect(heard.length).toBe(before);
    const at = async (id: string) =>
      (await pool.query<{ at: Date }>('SELECT at FROM other WHERE id = $1', [id])).rows[0]?.at;
    expect((await at('frozen'))!.toISOString()).toBe('2026-01-01T00:00:00.000Z');

    expect(await withTransaction(pool, (client) => runWrites(client, [twelve('thawed')]))).toEqual([
      1,
    ]);
    await hearing(before + 1);
    expect(heard.slice(before)).toEqual(['other_channel']);
    expect((await at('thawed'))!.toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });

  it('sends no query when every write is absent, nor when two writes name one table', async () => {
    const sent: string[] = [];
    const db = {
      query: async (text: string) => {
        sent.push(text);
        return { rows: [] };
      },
    } as unknown as pg.ClientBase;
    expect(await runWrites(db, [undefined, undefined])).toEqual([0, 0]);
    await expect(runWrites(db, [queued(['x']), queued(['y'])])).rejects.toThrow(
      'two writes of queued',
    );
    expect(sent).toEqual([]);
  });
});
