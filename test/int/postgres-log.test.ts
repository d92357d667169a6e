import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { tenantStreamId } from '../../src/events/streams.ts';
import type { Consumer } from '../../src/log/event-log.ts';
import { createTestDatabase } from '../support/database.ts';
import { readBatch } from '../../src/log/postgres/read-batch.ts';
import { checkpointOfValues, typeOfValues, valuesToEvent } from '../../src/log/postgres/rows.ts';
import type { PgCheckpoint } from '../../src/log/postgres/checkpoint.ts';
import { headOfLog } from '../../src/log/postgres/subscription.ts';
import { contractEvent, describeLogContract, recordingConsumer } from '../support/log-contract.ts';

async function openPostgresLog(url: string, passIntervalMs?: number) {
  const pool = new pg.Pool({ ...clientConfig(url), max: 20 });
  // A 30 s fallback poll: anything faster than that was woken by NOTIFY.
  const log = await PostgresEventLog.open({
    url,
    pool,
    log: silentLogger,
    standbyRetryMs: 100,
    pollIntervalMs: 30_000,
    ...(passIntervalMs !== undefined && { passIntervalMs }),
  });
  return {
    log,
    close: async () => {
      await log.close();
      await pool.end();
    },
  };
}

/**
 * A PostgreSQL log on a new database, a pool of `max` connections to it for the test's own
 * writes and reads, and the recording consumer's `contract_effects` table.
 */
async function openLogWithEffects(max: number) {
  const url = await createTestDatabase();
  const subject = await openPostgresLog(url);
  const pool = new pg.Pool({ connectionString: url, max });
  await pool.query(`CREATE TABLE contract_effects (consumer text, event_id uuid, stream_id text,
    seq int, id bigserial PRIMARY KEY)`);
  return {
    subject,
    pool,
    close: async () => {
      await subject.close();
      await pool.end();
    },
  };
}

describeLogContract('postgres', async () => {
  const url = await createTestDatabase();
  const main = await openPostgresLog(url);
  const others: Array<() => Promise<void>> = [];
  return {
    log: main.log,
    databaseUrl: url,
    childEnv: { LOG_BACKEND: 'postgres', DATABASE_URL: url },
    async openAnother() {
      const another = await openPostgresLog(url);
      others.push(another.close);
      return another.log;
    },
    async close() {
      await main.close();
      for (const close of others) await close().catch(() => {});
    },
  };
});

describe('PostgreSQL log: the concurrent-writer gap', () => {
  let fixture: Awaited<ReturnType<typeof openLogWithEffects>>;
  let subject: Awaited<ReturnType<typeof openPostgresLog>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    fixture = await openLogWithEffects(30);
    ({ subject, pool } = fixture);
  });
  afterAll(() => fixture.close());

  it('does not pass an event whose transaction began first but committed last', async () => {
    const sub = subject.log.subscribe(recordingConsumer('gap'));
    // Writer A takes its position first and holds its transaction open.
    const writerA = await pool.connect();
    await writerA.query('BEGIN');
    const early = contractEvent('lead:gap:a', 0);
    await writerA.query(
      `INSERT INTO events (epoch, event_id, stream_id, type, schema_version, tenant_id, occurred_at,
         recorded_at, data) VALUES (1, $1, $2, $3, 1, 'contract', now(), now(), $4)`,
      [early.id, early.streamId, early.type, JSON.stringify(early.data)],
    );
    // Writer B appends after A and commits first.
    const late = contractEvent('lead:gap:b', 0);
    await subject.log.append([late]);
    await sleep(300);
    const whileOpen = await pool.query('SELECT event_id FROM contract_effects');
    expect(whileOpen.rows).toEqual([]); // B is held back behind A's open transaction
    await writerA.query('COMMIT');
    writerA.release();
    await sub.whenCaughtUp();
    await sub.stop();
    const { rows } = await pool.query<{ event_id: string }>(
      'SELECT event_id FROM contract_effects ORDER BY id',
    );
    expect(rows.map((r) => r.event_id)).toEqual([early.id, late.id]);
  });

  it('skips no event when many writers commit out of order', async () => {
    const sub = subject.log.subscribe(recordingConsumer('many'));
    const writers = 12;
    const perWriter = 60;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let seq = 0; seq < perWriter; seq++) {
          const client = await pool.connect();
          const event = contractEvent(`lead:many:${w}`, seq);
          try {
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO events (epoch, event_id, stream_id, type, schema_version, tenant_id,
                 occurred_at, recorded_at, data) VALUES (1, $1, $2, $3, 1, 'contract', now(), now(), $4)`,
              [event.id, event.streamId, event.type, JSON.stringify(event.data)],
            );
            // Hold the transaction a random while so commits land out of position order.
            await sleep(Math.random() * 8);
            await client.query("SELECT pg_notify('leadline_events', '')");
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }
      }),
    );
    await sub.whenCaughtUp();
    await sub.stop();
    const { rows } = await pool.query<{ n: string; d: string }>(
      "SELECT count(*) n, count(DISTINCT event_id) d FROM contract_effects WHERE consumer = 'many' AND stream_id LIKE 'lead:many:%'",
    );
    expect(Number(rows[0]!.n)).toBe(writers * perWriter);
    expect(Number(rows[0]!.d)).toBe(writers * perWriter);
  });
});

describe('PostgreSQL log: holding readers off for a restore', () => {
  let fixture: Awaited<ReturnType<typeof openLogWithEffects>>;

  beforeAll(async () => {
    fixture = await openLogWithEffects(4);
  });
  afterAll(() => fixture.close());

  it('keeps a reader from starting until the hold is released', async () => {
    const { subject, pool } = fixture;
    const hold = await subject.log.positions.holdReaders(['held']);
    expect(hold.held).toBe(true);
    await subject.log.append([contractEvent('lead:held:a', 1)]);
    const sub = subject.log.subscribe(recordingConsumer('held'));
    try {
      await sleep(500);
      const whileHeld = await pool.query('SELECT event_id FROM contract_effects');
      expect(whileHeld.rows).toEqual([]);
      if (hold.held) await hold.release();
      // The default 30 s: on a shared cluster another database's long write transaction
      // holds every reader back (gap-safe reads stop at the snapshot's xmin).
      await sub.whenCaughtUp();
      const after = await pool.query('SELECT event_id FROM contract_effects');
      expect(after.rows).toHaveLength(1);
    } finally {
      await sub.stop();
    }
  });
});

describe('PostgreSQL log: group commit', () => {
  let fixture: Awaited<ReturnType<typeof openLogWithEffects>>;

  beforeAll(async () => {
    fixture = await openLogWithEffects(4);
  });
  afterAll(() => fixture.close());

  it('writes concurrent appends together, each durable and reported once, a racing retry as a duplicate', async () => {
    const { subject, pool } = fixture;
    const appends = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 1 + (i % 3) }, (_, j) => contractEvent(`lead:group:${i}`, j)),
    );
    // Every tenth append is a webhook retried while its first delivery is still being written.
    const racing = appends.filter((_, i) => i % 10 === 0);
    const results = await Promise.all([...appends, ...racing].map((e) => subject.log.append(e)));

    const byId = new Map<string, Array<{ position: string; duplicate: boolean }>>();
    for (const result of results.flat()) {
      byId.set(result.id, [...(byId.get(result.id) ?? []), result]);
    }
    const distinct = appends.flat().length;
    expect(byId.size).toBe(distinct);
    for (const [, seen] of byId) {
      // Written once: one caller owns it, a racing retry is told it was there, same position.
      expect(seen.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(seen.map((r) => r.position)).size).toBe(1);
    }
    const { rows } = await pool.query<{ events: number; commits: number }>(
      `SELECT count(*)::int AS events, count(DISTINCT transaction_id)::int AS commits
         FROM events WHERE stream_id LIKE 'lead:group:%'`,
    );
    expect(rows[0]!.events).toBe(distinct);
    // Coalesced: far fewer transactions than appends.
    console.log(
      `[group commit] ${appends.length + racing.length} appends in ${rows[0]!.commits} commits`,
    );
    expect(rows[0]!.commits).toBeLessThan(appends.length / 2);
  });

  it('fails only the append that cannot be written when it shares a group with others', async () => {
    const { subject, pool } = fixture;
    const good = Array.from({ length: 20 }, (_, i) => [contractEvent(`lead:group-bad:${i}`, 0)]);
    const bad = [{ ...contractEvent('lead:group-bad:x', 0), schemaVersion: 1.5 }];
    const outcomes = await Promise.allSettled(
      [...good.slice(0, 10), bad, ...good.slice(10)].map((e) => subject.log.append(e)),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect(outcomes[10]!.status).toBe('rejected');
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM events WHERE stream_id LIKE 'lead:group-bad:%'",
    );
    expect(rows[0]!.n).toBe(20);
  });
});

describe('PostgreSQL log: a consumer that acts on a few event types', () => {
  let url: string;
  let subject: Awaited<ReturnType<typeof openPostgresLog>>;
  let pool: pg.Pool;

  beforeAll(async () => {
    url = await createTestDatabase();
    subject = await openPostgresLog(url);
    pool = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    await subject.close();
    await pool.end();
  });

  const stored = async (name: string) =>
    (
      await pool.query<{ position: string; events_handled: string }>(
        'SELECT position, events_handled FROM consumer_checkpoints WHERE consumer_name = $1',
        [name],
      )
    ).rows[0];

  /** A `QuotaExceeded` of tenant `contract`: an event of the types these consumers act on. */
  const quotaEvent = (day: string, idempotencyKey: string) =>
    newEvent(
      {
        type: 'QuotaExceeded',
        streamId: tenantStreamId('contract'),
        tenantId: 'contract',
        data: { day, audience: 'lead', limit: 10 },
        idempotencyKey,
      },
      systemClock,
    );

  it('is handed no batch without them, yet reaches the head and keeps it across a restart', async () => {
    const seen: string[][] = [];
    const consumer: Consumer = {
      name: 'typed',
      eventTypes: new Set(['QuotaExceeded']),
      handle: async (event) => void seen.push([event.type]),
      handleBatch: async (events) => void seen.push(events.map((e) => e.type)),
    };
    const statuses = Array.from({ length: 40 }, (_, i) => contractEvent('typed-stream', i));
    await subject.log.append(statuses);
    let reader = subject.log.subscribe(consumer);
    await reader.whenCaughtUp(10_000);
    expect(seen).toEqual([]);
    const head = await stored('typed');
    expect(head).toMatchObject({ events_handled: '40' });

    // A batch holding one hands over that one; the events passed over are counted with it.
    const quota = quotaEvent('2026-11-28', 'typed-quota');
    await subject.log.append([contractEvent('typed-stream', 40), quota]);
    await reader.whenCaughtUp(10_000);
    expect(seen.flat()).toEqual(['QuotaExceeded']);
    expect((await stored('typed'))?.events_handled).toBe('42');
    await reader.stop();

    // Passed over and stopped: the stored checkpoint is where it got to, nothing is handed again.
    await subject.log.append([contractEvent('typed-stream', 41)]);
    reader = subject.log.subscribe(consumer);
    await reader.whenCaughtUp(10_000);
    await reader.stop();
    expect(BigInt((await stored('typed'))!.position)).toBeGreaterThan(BigInt(head!.position));
    expect(seen.flat()).toEqual(['QuotaExceeded']);
    expect((await stored('typed'))?.events_handled).toBe('43');
  });

  it('passes a batch of other types in the read itself, and never one that holds its types', async () => {
    const client = new pg.Client(clientConfig(url));
    await client.connect();
    try {
      const typed = { types: new Set(['QuotaExceeded']), passAs: 'typed-pass' };
      // The test server is shared: another file's open transaction can hold the gap-safe
      // horizon back for a moment. Wait, without passing anything, until what was appended is
      // readable (once readable, always readable), then make the passing read.
      const read = async (after: PgCheckpoint, limit: number) => {
        for (let i = 0; i < 200; i++) {
          const look = await readBatch(client, after, epoch, limit, { types: typed.types });
          if (!look.heldBackByHorizon) break;
          await sleep(50);
        }
        return readBatch(client, after, epoch, limit, typed);
      };
      const epoch = (await client.query<{ e: number }>('SELECT max(epoch) AS e FROM events'))
        .rows[0]!.e;
      const start = await headOfLog(client);
      await subject.log.append([0, 1, 2].map((i) => contractEvent('pass-stream', i)));
      // One statement read the three and stored the checkpoint past them.
      const others = await read(start, 100);
      expect(others.rows.map(typeOfValues)).toEqual(Array(3).fill('OutboundSmsStatusUpdated'));
      expect(others.passed).toBe(true);
      const afterOthers = checkpointOfValues(others.rows[2]!);
      expect(await stored('typed-pass')).toEqual({
        position: afterOthers.position,
        events_handled: '3',
      });

      // A batch cut at `limit` passes only what it hands back.
      await subject.log.append([3, 4, 5].map((i) => contractEvent('pass-stream', i)));
      const cut = await read(afterOthers, 2);
      expect(cut.rows).toHaveLength(2);
      expect(await stored('typed-pass')).toEqual({
        position: checkpointOfValues(cut.rows[1]!).position,
        events_handled: '5',
      });

      // One of its types in the batch: nothing stored, the consumer handles it in a transaction.
      const quota = quotaEvent('2026-11-27', 'pass-quota');
      await subject.log.append([quota]);
      const afterCut = checkpointOfValues(cut.rows[1]!);
      const mixed = await read(afterCut, 100);
      expect(mixed.rows.map(typeOfValues)).toEqual(['OutboundSmsStatusUpdated', 'QuotaExceeded']);
      expect(valuesToEvent(mixed.rows[1]!).data).toMatchObject({ day: '2026-11-27' });
      expect(mixed.passed).toBe(false);
      expect((await stored('typed-pass'))?.position).toBe(afterCut.position);
    } finally {
      await client.end();
    }
  });

  it('halted at one of its events, keeps the checkpoint just in front of it', async () => {
    const quota = (day: string) => quotaEvent(day, `halting-quota-${day}`);
    const [first, poison] = [quota('2026-11-01'), quota('2026-11-02')];
    const seen: string[] = [];
    const consumer: Consumer = {
      name: 'typed-halting',
      eventTypes: new Set(['QuotaExceeded']),
      handle: async () => {},
      handleBatch: async (events) => {
        for (const event of events) {
          if (event.id === poison.id) {
            throw Object.assign(new Error('waiting at a dead letter'), {
              name: 'ConsumerHaltedError',
              eventId: poison.id,
              retryInMs: 200,
            });
          }
          seen.push(event.id);
        }
      },
    };
    const before = [0, 1, 2].map((i) => contractEvent('halting-stream', i));
    const after = [3, 4].map((i) => contractEvent('halting-stream', i));
    const results = await subject.log.append([...before, first, poison, ...after]);
    const reader = subject.log.subscribe(consumer);
    try {
      for (let i = 0; i < 100 && !seen.includes(first.id); i++) await sleep(50);
      await sleep(300); // a few retries at the poison event
      // (The log holds the earlier test's events too: this consumer reads it from the start.)
      expect(seen.filter((id) => id === first.id || id === poison.id)).toEqual([first.id]);
      // In front of the poison event: everything up to `first` is behind the checkpoint.
      const firstAt = results.find((r) => r.id === first.id)!.position;
      expect((await stored('typed-halting'))?.position).toBe(firstAt);
    } finally {
      await reader.stop();
    }
  });
});

describe('PostgreSQL log: reading a backlog ahead of the handler', () => {
  let fixture: Awaited<ReturnType<typeof openLogWithEffects>>;

  beforeAll(async () => {
    fixture = await openLogWithEffects(5);
  });
  afterAll(() => fixture.close());

  it('hands a backlog over in order and once, halts exactly at a dead letter in a later batch, and drops what it read beyond', async () => {
    const { subject, pool } = fixture;
    // Batches of 100, 200, 400, …: the dead letter sits in the third, read while the second
    // was handled, and a fourth was being read when it was found.
    const events = Array.from({ length: 1_500 }, (_, i) => contractEvent('ahead-stream', i));
    const poison = events[650]!;
    await subject.log.append(events);
    const recording = recordingConsumer('ahead');
    const consumer: Consumer = {
      name: 'ahead',
      async handle(event, ctx) {
        if (event.id === poison.id) {
          throw Object.assign(new Error('waiting at a dead letter'), {
            name: 'ConsumerHaltedError',
            eventId: poison.id,
            retryInMs: 100,
          });
        }
        await recording.handle(event, ctx);
      },
    };
    const reader = subject.log.subscribe(consumer);
    const handled = async () =>
      (
        await pool.query<{ seq: number }>(
          "SELECT seq FROM contract_effects WHERE consumer = 'ahead' ORDER BY id",
        )
      ).rows.map((r) => r.seq);
    try {
      for (let i = 0; i < 200 && (await handled()).length < 650; i++) await sleep(50);
      await sleep(500); // several retries at the dead letter
      expect(await handled()).toEqual(events.slice(0, 650).map((_, i) => i));
    } finally {
      await reader.stop();
    }
  });

  it('still wakes for an append committed while the batch before it was handled', async () => {
    // A log of its own: the backlog must be exactly the one below.
    const own = await openLogWithEffects(5);
    const { subject, pool } = own;
    // 150 events: the first batch (100) is full, so the next is read ahead (the 50 left)
    // while the first is handled. The handler of the first event waits until one more event
    // has been appended and its NOTIFY has arrived: the batch read ahead does not hold it.
    const backlog = Array.from({ length: 150 }, (_, i) => contractEvent('stale-ahead', i));
    await subject.log.append(backlog);
    let reached!: () => void;
    const atFirst = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const recording = recordingConsumer('stale-ahead');
    const consumer: Consumer = {
      name: 'stale-ahead',
      async handle(event, ctx) {
        if (event.id === backlog[0]!.id) {
          reached();
          await released;
        }
        await recording.handle(event, ctx);
      },
    };
    const reader = subject.log.subscribe(consumer);
    const handled = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM contract_effects WHERE consumer = 'stale-ahead'",
          )
        ).rows[0]!.n,
      );
    try {
      await atFirst;
      await sleep(300); // the read ahead has been answered
      await subject.log.append([contractEvent('stale-ahead', 150)]);
      await sleep(300); // its NOTIFY has arrived
      release();
      // The fixture's fallback poll is 30 s: within 5 s, only the wake-up can have done it.
      for (let i = 0; i < 100 && (await handled()) < 151; i++) await sleep(50);
      expect(await handled()).toBe(151);
    } finally {
      await reader.stop();
      await own.close();
    }
  });
});

describe('PostgreSQL log: waking a consumer that acts on a few event types', () => {
  it('wakes it at once for its types, and for others only to pass them a while later', async () => {
    const url = await createTestDatabase();
    // Other types are passed over 2 s later (the poll is 30 s): far from either, on any host.
    const subject = await openPostgresLog(url, 2_000);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const handled: string[] = [];
    const reader = subject.log.subscribe({
      name: 'typed-wake',
      eventTypes: new Set(['QuotaExceeded']),
      handle: async (event) => void handled.push(event.type),
    });
    const stored = async () =>
      (
        await pool.query<{ events_handled: string }>(
          "SELECT events_handled FROM consumer_checkpoints WHERE consumer_name = 'typed-wake'",
        )
      ).rows[0]?.events_handled ?? '0';
    const waitFor = async (done: () => Promise<boolean>, ms: number) => {
      const started = Date.now();
      while (!(await done()) && Date.now() - started < ms) await sleep(20);
      return Date.now() - started;
    };
    try {
      await reader.whenCaughtUp(10_000);
      // Appends of other types: no read (and no checkpoint written) for each of them, but
      // passed over within the 2 s, without waiting for the 30 s poll. The test server is
      // shared: while another database's open transaction holds the horizon back, a reader
      // rightly looks again every few ms and passes them at once; such a round is tried again.
      let quietRounds = 0;
      for (let round = 0; round < 5 && quietRounds === 0; round++) {
        const before = Number(await stored());
        for (let i = 0; i < 5; i++) {
          await subject.log.append([contractEvent('typed-wake-stream', round * 5 + i)]);
          await sleep(50);
        }
        const movedAtOnce = Number(await stored()) !== before;
        const passed = await waitFor(async () => Number(await stored()) === before + 5, 10_000);
        expect(Number(await stored())).toBe(before + 5);
        expect(passed).toBeLessThan(5_000);
        if (!movedAtOnce) quietRounds++;
      }
      expect(quietRounds).toBe(1);
      // An append of its type wakes it at once.
      const quota = newEvent(
        {
          type: 'QuotaExceeded',
          streamId: tenantStreamId('contract'),
          tenantId: 'contract',
          data: { day: '2026-11-29', audience: 'lead', limit: 10 },
          idempotencyKey: 'typed-wake-quota',
        },
        systemClock,
      );
      await subject.log.append([quota]);
      const tookMs = await waitFor(async () => handled.length === 1, 10_000);
      expect(handled).toEqual(['QuotaExceeded']);
      expect(tookMs).toBeLessThan(1_500);
    } finally {
      await reader.stop();
      await subject.close();
      await pool.end();
    }
  });

  it("judges two such consumers' positions the same when none of their types lies between", async () => {
    const url = await createTestDatabase();
    const subject = await openPostgresLog(url);
    const client = new pg.Client(clientConfig(url));
    await client.connect();
    const at = async (name: string) => {
      const head = await headOfLog(client);
      await client.query(
        `INSERT INTO consumer_checkpoints (consumer_name, epoch, transaction_id, position, events_handled)
         VALUES ($1, $2, $3, $4, 0)`,
        [name, head.epoch, head.transactionId, head.position],
      );
    };
    try {
      await subject.log.append([0, 1, 2].map((i) => contractEvent('same-stream', i)));
      await at('pos-a');
      await subject.log.append([3, 4].map((i) => contractEvent('same-stream', i)));
      await at('pos-b');
      await subject.log.append([
        newEvent(
          {
            type: 'QuotaExceeded',
            streamId: tenantStreamId('contract'),
            tenantId: 'contract',
            data: { day: '2026-11-29', audience: 'lead', limit: 10 },
            idempotencyKey: 'same-quota',
          },
          systemClock,
        ),
      ]);
      await at('pos-c');
      const types = new Set(['QuotaExceeded']);
      const same = (a: string, b: string, t?: ReadonlySet<string>) =>
        subject.log.positions.same(client, a, b, t);
      expect(await same('pos-a', 'pos-a')).toBe(true);
      expect(await same('pos-a', 'pos-b')).toBe(false);
      expect(await same('pos-a', 'pos-b', types)).toBe(true);
      expect(await same('pos-b', 'pos-a', types)).toBe(true);
      expect(await same('pos-b', 'pos-c', types)).toBe(false);
      expect(await same('pos-c', 'pos-a', types)).toBe(false);
      expect(await same('pos-a', 'pos-b', new Set(['OutboundSmsStatusUpdated']))).toBe(false);
      expect(await same('pos-a', 'never-ran', types)).toBe(false);
      // Farther apart than the look may go (10,000 events): not judged the same.
      await subject.log.append(
        Array.from({ length: 10_001 }, (_, i) => contractEvent('same-far-stream', i)),
      );
      await at('pos-d');
      expect(await same('pos-c', 'pos-d', types)).toBe(false);
      expect(await same('pos-d', 'pos-c', types)).toBe(false);
      await subject.log.append([contractEvent('same-far-stream', 10_001)]);
      await at('pos-e');
      expect(await same('pos-d', 'pos-e', types)).toBe(true);
    } finally {
      await client.end();
      await subject.close();
    }
  });
});
