import pg from 'pg';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import type { Consumer, EventLog } from '../../src/log/event-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { withPoisonPolicy } from '../../src/log/dead-letters/poison-policy.ts';
import { listDeadLetters } from '../../src/log/dead-letters/dead-letter-store.ts';
import { retryDeadLetter, skipDeadLetter } from '../../src/log/dead-letters/resolve-dead-letter.ts';
import { LOG_KINDS } from '../../src/log/log-kinds.ts';
import { track } from '../../harness/service-process.ts';
import { contractEvent } from '../../harness/sample-events.ts';

/** What the contract suite needs from an adapter under test. */
export interface LogUnderTest {
  log: EventLog;
  /** URL of the PostgreSQL database holding checkpoints and the consumers' effects. */
  databaseUrl: string;
  /** Opens a second, independent instance of the same log (as another process would). */
  openAnother(): Promise<EventLog>;
  /** Environment for `consumer-child.ts` to open the same log in another OS process. */
  childEnv: Record<string, string>;
  close(): Promise<void>;
}

export { contractEvent };

/**
 * A consumer whose effect is one row per handled event in `contract_effects`, written in the
 * consumer's transaction: counting rows per event shows duplicates and gaps.
 */
export function recordingConsumer(
  name: string,
  onEvent?: (e: RecordedLeadlineEvent) => void,
): Consumer {
  return {
    name,
    async handle(event, ctx) {
      onEvent?.(event);
      const data = event.data as { messageSid: string; status: string };
      await ctx.db.query(
        'INSERT INTO contract_effects (consumer, event_id, stream_id, seq) VALUES ($1, $2, $3, $4)',
        [name, event.id, event.streamId, Number(data.status)],
      );
    },
  };
}

/**
 * The contract every {@link EventLog} adapter must pass (design §3). Run it with
 * `describeLogContract('postgres', factory)`.
 */
export function describeLogContract(adapter: string, open: () => Promise<LogUnderTest>): void {
  describe(`EventLog contract: ${adapter}`, () => {
    let subject: LogUnderTest;
    let db: pg.Pool;
    let consumerSeq = 0;
    const uniqueName = (label: string) => `${label}-${++consumerSeq}-${Date.now()}`;
    const uniqueStream = (label: string) => `lead:contract:${label}-${++consumerSeq}`;

    beforeAll(async () => {
      subject = await open();
      db = new pg.Pool({ connectionString: subject.databaseUrl });
      await db.query(`CREATE TABLE IF NOT EXISTS contract_effects (
        consumer text NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL, seq int NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), id bigserial PRIMARY KEY)`);
    });
    afterAll(async () => {
      await subject?.close();
      await db?.end();
    });

    async function effects(consumer: string) {
      const { rows } = await db.query<{ event_id: string; stream_id: string; seq: number }>(
        'SELECT event_id, stream_id, seq FROM contract_effects WHERE consumer = $1 ORDER BY id',
        [consumer],
      );
      return rows;
    }

    // The log's own measurements (emptiness, lag, snapshots, reader holds): first, while the
    // log holds only what these tests append.
    it('holds no events when new, then exactly those appended (a duplicate adds none)', async () => {
      expect(LOG_KINDS).toContain(subject.log.about.kind);
      expect(await subject.log.storedEvents()).toBe(0);
      const stream = uniqueStream('stored');
      const events = [1, 2, 3].map((i) => contractEvent(stream, i));
      await subject.log.append(events);
      await subject.log.append([events[0]!]);
      expect(await subject.log.storedEvents()).toBe(3);
    });

    it('measures consumer lag: the whole log for a consumer that never ran, none once it caught up, then what was appended since', async () => {
      const name = uniqueName('lag');
      const never = uniqueName('never');
      const stream = uniqueStream('lag');
      await subject.log.append([1, 2, 3].map((i) => contractEvent(stream, i)));
      const total = await subject.log.storedEvents();

      const before = await subject.log.consumerLag([never, name]);
      expect(before.map((l) => l.consumer)).toEqual([never, name]);
      for (const lag of before) {
        expect(lag).toMatchObject({ eventsBehind: total, eventsHandled: 0, checkpointAt: null });
        expect(lag.secondsBehind).toBeGreaterThanOrEqual(0);
      }

      const subscription = subject.log.subscribe(recordingConsumer(name));
      await subscription.whenCaughtUp(30_000);
      await subscription.stop();
      const [caughtUp] = await subject.log.consumerLag([name]);
      expect(caughtUp).toMatchObject({ eventsBehind: 0, secondsBehind: 0, eventsHandled: total });
      expect(caughtUp!.checkpointAt).not.toBeNull();

      await subject.log.append([4, 5].map((i) => contractEvent(stream, i)));
      const [behind] = await subject.log.consumerLag([name]);
      expect(behind).toMatchObject({ eventsBehind: 2, eventsHandled: total });
      expect(behind!.secondsBehind).toBeGreaterThanOrEqual(0);
    });

    it('tells whether a consumer has reached an event: not before it ran or handled it, yes once it has', async () => {
      const name = uniqueName('reached');
      const stream = uniqueStream('reached');
      const [first] = await subject.log.append([contractEvent(stream, 1)]);
      expect(await subject.log.hasReached(name, first!.id)).toBe(false);

      let subscription = subject.log.subscribe(recordingConsumer(name));
      await subscription.whenCaughtUp(30_000);
      await subscription.stop();
      expect(await subject.log.hasReached(name, first!.id)).toBe(true);

      const [second] = await subject.log.append([contractEvent(stream, 2)]);
      expect(await subject.log.hasReached(name, second!.id)).toBe(false);
      subscription = subject.log.subscribe(recordingConsumer(name));
      await subscription.whenCaughtUp(30_000);
      await subscription.stop();
      expect(await subject.log.hasReached(name, second!.id)).toBe(true);
      expect(await subject.log.hasReached(name, first!.id)).toBe(true);
    });

    it('takes a consistent snapshot: every event stored when it was taken, once, each stream in order, none appended after', async () => {
      const stream = uniqueStream('snapshot');
      const before = [1, 2, 3, 4, 5].map((i) => contractEvent(stream, i));
      await subject.log.append(before);
      const stored = await subject.log.storedEvents();
      const snapshot = await subject.log.snapshot();
      try {
        expect(snapshot.kind).toBe(subject.log.about.kind);
        expect(snapshot.events).toBe(stored);
        const later = contractEvent(stream, 6);
        await subject.log.append([later]);
        const read: RecordedLeadlineEvent[] = [];
        for await (const event of snapshot.read()) read.push(event);
        expect(read).toHaveLength(stored);
        expect(new Set(read.map((e) => e.id)).size).toBe(stored);
        expect(read.filter((e) => e.streamId === stream).map((e) => e.id)).toEqual(
          before.map((e) => e.id),
        );
        expect(read.every((e) => e.position !== '')).toBe(true);
      } finally {
        await snapshot.close();
      }
      expect(await subject.log.storedEvents()).toBe(stored + 1);
    });

    it('reports its horizon as null or as what holds readers back', async () => {
      const horizon = await subject.log.horizon();
      if (horizon !== null) {
        expect(horizon.heldBackEvents).toBeGreaterThanOrEqual(0);
        expect(horizon.heldBackSeconds).toBeGreaterThanOrEqual(0);
        expect(typeof horizon.stalled).toBe('boolean');
      }
    });

    it('holds readers off for a restore only while no process reads: busy, naming the consumer, while one does', async () => {
      const name = uniqueName('hold');
      const subscription = subject.log.subscribe(recordingConsumer(name));
      await subscription.whenCaughtUp(30_000);
      const busy = await subject.log.positions.holdReaders([uniqueName('idle'), name]);
      expect(busy.held).toBe(false);
      if (!busy.held) expect(busy.busy).toContain(name);
      await subscription.stop();
      const free = await subject.log.positions.holdReaders([name]);
      expect(free.held).toBe(true);
      if (free.held) {
        await free.release();
        await free.release();
      }
    });

    it('appends idempotently: a second append of the same id writes nothing and reports the original position', async () => {
      const stream = uniqueStream('idem');
      const event = contractEvent(stream, 1);
      const [first] = await subject.log.append([event]);
      const [second] = await subject.log.append([event]);
      expect(first!.duplicate).toBe(false);
      expect(second!.duplicate).toBe(true);
      expect(second!.position).toBe(first!.position);
      const read = await subject.log.read(stream);
      expect(read.map((e) => e.id)).toEqual([event.id]);
    });

    it('keeps each stream in order under concurrent producers and delivers every event once', async () => {
      const streams = Array.from({ length: 8 }, (_, i) => uniqueStream(`conc${i}`));
      const perStream = 25;
      const name = uniqueName('order');
      const sub = subject.log.subscribe(recordingConsumer(name));
      await Promise.all(
        streams.map(async (stream) => {
          for (let seq = 0; seq < perStream; seq++)
            await subject.log.append([contractEvent(stream, seq)]);
        }),
      );
      await sub.whenCaughtUp();
      await sub.stop();
      const rows = (await effects(name)).filter((r) => streams.includes(r.stream_id));
      expect(rows).toHaveLength(streams.length * perStream);
      for (const stream of streams) {
        expect(rows.filter((r) => r.stream_id === stream).map((r) => r.seq)).toEqual(
          Array.from({ length: perStream }, (_, i) => i),
        );
      }
    });

    it('resumes from its checkpoint without reapplying committed work', async () => {
      const stream = uniqueStream('resume');
      const name = uniqueName('resume');
      await subject.log.append([0, 1, 2].map((s) => contractEvent(stream, s)));
      const first = subject.log.subscribe(recordingConsumer(name));
      await first.whenCaughtUp();
      await first.stop();
      await subject.log.append([3, 4].map((s) => contractEvent(stream, s)));
      const second = subject.log.subscribe(recordingConsumer(name));
      await second.whenCaughtUp();
      await second.stop();
      const seqs = (await effects(name)).filter((r) => r.stream_id === stream).map((r) => r.seq);
      expect(seqs).toEqual([0, 1, 2, 3, 4]);
    });

    it('replays from the start into the same read model, in replay mode', async () => {
      const stream = uniqueStream('replay');
      const name = uniqueName('replay');
      await subject.log.append([0, 1, 2, 3].map((s) => contractEvent(stream, s)));
      const live = subject.log.subscribe(recordingConsumer(name));
      await live.whenCaughtUp();
      await live.stop();
      const before = (await effects(name)).filter((r) => r.stream_id === stream);
      await db.query('DELETE FROM contract_effects WHERE consumer = $1', [name]);
      const replayFlags: boolean[] = [];
      const replaying = subject.log.subscribe(
        {
          ...recordingConsumer(name),
          async handle(event, ctx) {
            if (event.streamId === stream) replayFlags.push(ctx.replay);
            await recordingConsumer(name).handle(event, ctx);
          },
        },
        { from: 'start' },
      );
      await replaying.whenCaughtUp();
      await replaying.stop();
      const after = (await effects(name)).filter((r) => r.stream_id === stream);
      expect(after).toEqual(before);
      expect(replayFlags).toEqual([true, true, true, true]);
    });

    it('lets two instances of one consumer share the work without applying any event twice', async () => {
      const name = uniqueName('shared');
      const streams = Array.from({ length: 4 }, (_, i) => uniqueStream(`shared${i}`));
      const other = await subject.openAnother();
      const a = subject.log.subscribe(recordingConsumer(name));
      const b = other.subscribe(recordingConsumer(name));
      await Promise.all(
        streams.map(async (stream) => {
          for (let seq = 0; seq < 20; seq++) await subject.log.append([contractEvent(stream, seq)]);
        }),
      );
      await a.whenCaughtUp();
      await b.whenCaughtUp();
      await a.stop();
      // The survivor carries on alone.
      for (const stream of streams) await subject.log.append([contractEvent(stream, 20)]);
      await b.whenCaughtUp();
      await b.stop();
      await other.close();
      const rows = (await effects(name)).filter((r) => streams.includes(r.stream_id));
      const ids = rows.map((r) => r.event_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(rows).toHaveLength(streams.length * 21);
    });

    it('delivers at least once, and applies each effect once, when a consumer process is killed mid-batch', async () => {
      const name = uniqueName('killed');
      const stream = uniqueStream('killed');
      const total = 120;
      await subject.log.append(Array.from({ length: total }, (_, i) => contractEvent(stream, i)));
      const count = async () => (await effects(name)).filter((r) => r.stream_id === stream).length;
      const child = () => startConsumerChild(name, subject.childEnv);
      const first = await child();
      await handledAtLeast(first, 15);
      first.kill('SIGKILL');
      await once(first, 'exit');
      const killedAt = await count();
      expect(killedAt).toBeLessThan(total); // it really died mid-stream
      const second = await child();
      const deadline = Date.now() + 60_000;
      while ((await count()) < total && Date.now() < deadline) await sleep(50);
      second.kill('SIGTERM');
      await once(second, 'exit');
      const rows = (await effects(name)).filter((r) => r.stream_id === stream);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
    });

    it('delivers a backlog larger than one fetch (over 1 MiB on one stream)', async () => {
      const stream = uniqueStream('backlog');
      const name = uniqueName('backlog');
      const total = 2_500;
      for (let b = 0; b < total / 250; b++) {
        await subject.log.append(
          Array.from({ length: 250 }, (_, i) =>
            contractEvent(stream, b * 250 + i, 'x'.repeat(400)),
          ),
        );
      }
      const sub = subject.log.subscribe(recordingConsumer(name));
      await sub.whenCaughtUp(60_000);
      await sub.stop();
      const seqs = (await effects(name)).filter((r) => r.stream_id === stream).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i));
    });

    it('catches up from the start when a consumer is added later', async () => {
      const stream = uniqueStream('late');
      await subject.log.append([0, 1, 2].map((s) => contractEvent(stream, s)));
      const name = uniqueName('late');
      const late = subject.log.subscribe(recordingConsumer(name));
      await late.whenCaughtUp();
      await late.stop();
      expect((await effects(name)).filter((r) => r.stream_id === stream).map((r) => r.seq)).toEqual(
        [0, 1, 2],
      );
    });

    /** A recording consumer that throws on the events whose seq of `stream` is in `poison`. */
    function failingConsumer(name: string, stream: string, poison: Set<number>): Consumer {
      const inner = recordingConsumer(name);
      return {
        name,
        async handle(event, ctx) {
          const seq = Number((event.data as { status: string }).status);
          if (event.streamId === stream && poison.has(seq)) throw new Error(`cannot handle ${seq}`);
          await inner.handle(event, ctx);
        },
      };
    }

    async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
      }
    }

    const seqsOf = async (name: string, stream: string) =>
      (await effects(name)).filter((r) => r.stream_id === stream).map((r) => r.seq);

    it('stops a projection at a poison event after the attempts run out, and goes on when an operator skips it', async () => {
      const stream = uniqueStream('poison-stop');
      const name = uniqueName('poison-stop');
      await subject.log.append([0, 1, 2, 3, 4].map((seq) => contractEvent(stream, seq)));
      const sub = subject.log.subscribe(
        withPoisonPolicy(failingConsumer(name, stream, new Set([2])), {
          policy: 'stop',
          maxAttempts: 3,
          pool: db,
        }),
      );
      const [letter] = await waitFor(async () => {
        const found = await listDeadLetters(db, { consumer: name });
        return found.length > 0 ? found : undefined;
      }, 'a dead letter');
      expect(letter).toMatchObject({
        policy: 'stop',
        status: 'open',
        attempts: 3,
        streamId: stream,
      });
      expect(letter!.error).toContain('cannot handle 2');
      await sleep(500);
      // Stopped: nothing after the poison event of its stream is applied.
      expect(await seqsOf(name, stream)).toEqual([0, 1]);

      const result = await skipDeadLetter(letter!.id, {
        pool: db,
        bind: async () => ({ consumer: recordingConsumer(name), replay: false }),
        log: silentLogger,
      });
      expect(result.outcome).toBe('skipped');
      await sub.whenCaughtUp();
      await sub.stop();
      expect(await seqsOf(name, stream)).toEqual([0, 1, 3, 4]);
      expect(await listDeadLetters(db, { consumer: name })).toEqual([]);
    });

    it("parks a processor's poison event with the rest of its stream while other streams go on; a retry replays them in order", async () => {
      const stream = uniqueStream('poison-park');
      const other = uniqueStream('poison-other');
      const name = uniqueName('poison-park');
      const poison = new Set([1]);
      const sub = subject.log.subscribe(
        withPoisonPolicy(failingConsumer(name, stream, poison), {
          policy: 'park',
          maxAttempts: 2,
          pool: db,
          refreshMs: 0,
        }),
      );
      await subject.log.append([0, 1, 2].map((seq) => contractEvent(stream, seq)));
      await subject.log.append([0, 1, 2].map((seq) => contractEvent(other, seq)));
      await subject.log.append([contractEvent(stream, 3)]);
      await sub.whenCaughtUp();
      expect(await seqsOf(name, other)).toEqual([0, 1, 2]);
      expect(await seqsOf(name, stream)).toEqual([0]);
      const [letter] = await listDeadLetters(db, { consumer: name });
      expect(letter).toMatchObject({ policy: 'park', status: 'open', attempts: 2, parked: 3 });

      poison.clear(); // the bug is fixed
      const result = await retryDeadLetter(letter!.id, {
        pool: db,
        bind: async () => ({ consumer: recordingConsumer(name), replay: false }),
        log: silentLogger,
      });
      expect(result).toEqual({ outcome: 'resolved', handled: 3 });
      await subject.log.append([contractEvent(stream, 4)]);
      await sub.whenCaughtUp();
      await sub.stop();
      expect(await seqsOf(name, stream)).toEqual([0, 1, 2, 3, 4]);
      expect(await listDeadLetters(db, { consumer: name })).toEqual([]);
    });

    /**
     * A consumer that takes whole batches: one multi-row insert of every event, unless the
     * batch holds a poison event of `stream` (then it throws, as a set-based write would).
     * `sizes` records the size of every batch it was given.
     */
    function failingBatchConsumer(
      name: string,
      stream: string,
      poison: Set<number>,
      sizes: number[],
    ): Consumer {
      const seqOf = (event: RecordedLeadlineEvent) =>
        Number((event.data as { status: string }).status);
      const consumer: Consumer = {
        name,
        handle: (event, ctx) => consumer.handleBatch!([event], ctx),
        async handleBatch(events, ctx) {
          sizes.push(events.length);
          const bad = events.find((e) => e.streamId === stream && poison.has(seqOf(e)));
          if (bad) throw new Error(`cannot handle ${seqOf(bad)}`);
          await ctx.db.query(
            `INSERT INTO contract_effects (consumer, event_id, stream_id, seq)
             SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::int[])`,
            [name, events.map((e) => e.id), events.map((e) => e.streamId), events.map(seqOf)],
          );
        },
      };
      return consumer;
    }

    it('stops a batch-handling projection exactly at a poison event in the middle of its batch', async () => {
      const stream = uniqueStream('batch-stop');
      const name = uniqueName('batch-stop');
      const seqs = Array.from({ length: 10 }, (_, i) => i);
      await subject.log.append(seqs.map((seq) => contractEvent(stream, seq)));
      const sizes: number[] = [];
      const sub = subject.log.subscribe(
        withPoisonPolicy(failingBatchConsumer(name, stream, new Set([5]), sizes), {
          policy: 'stop',
          maxAttempts: 2,
          pool: db,
        }),
      );
      const [letter] = await waitFor(async () => {
        const found = await listDeadLetters(db, { consumer: name });
        return found.length > 0 ? found : undefined;
      }, 'a dead letter');
      expect(letter).toMatchObject({ policy: 'stop', attempts: 2, streamId: stream });
      expect(letter!.error).toContain('cannot handle 5');
      // The whole batch was tried at once before it was taken apart.
      expect(Math.max(...sizes)).toBeGreaterThanOrEqual(10);
      await sleep(500);
      expect(await seqsOf(name, stream)).toEqual([0, 1, 2, 3, 4]);

      await skipDeadLetter(letter!.id, {
        pool: db,
        bind: async () => ({ consumer: recordingConsumer(name), replay: false }),
        log: silentLogger,
      });
      await sub.whenCaughtUp();
      await sub.stop();
      expect(await seqsOf(name, stream)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    });

    it('parks a batch-handling processor exactly at a poison event in the middle of its batch while another stream goes on', async () => {
      const stream = uniqueStream('batch-park');
      const other = uniqueStream('batch-park-other');
      const name = uniqueName('batch-park');
      // Both streams in one append on PostgreSQL (one batch); one stream per append on Kafka,
      // whose appends of several streams are not atomic.
      await subject.log.append([0, 1, 2, 3, 4, 5].map((seq) => contractEvent(stream, seq)));
      await subject.log.append([0, 1, 2, 3].map((seq) => contractEvent(other, seq)));
      const sizes: number[] = [];
      const sub = subject.log.subscribe(
        withPoisonPolicy(failingBatchConsumer(name, stream, new Set([3]), sizes), {
          policy: 'park',
          maxAttempts: 2,
          pool: db,
          refreshMs: 0,
        }),
      );
      await sub.whenCaughtUp();
      await sub.stop();
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      expect(await seqsOf(name, stream)).toEqual([0, 1, 2]);
      expect(await seqsOf(name, other)).toEqual([0, 1, 2, 3]);
      const [letter] = await listDeadLetters(db, { consumer: name });
      expect(letter).toMatchObject({ policy: 'park', attempts: 2, parked: 3 });
    });

    it('wakes a waiting consumer promptly after an append', async () => {
      const name = uniqueName('wake');
      const stream = uniqueStream('wake');
      let seenAt = 0;
      const sub = subject.log.subscribe(
        recordingConsumer(name, (e) => {
          if (e.streamId === stream) seenAt = Date.now();
        }),
      );
      await sub.whenCaughtUp();
      await sleep(200);
      const appendedAt = Date.now();
      await subject.log.append([contractEvent(stream, 0)]);
      await sub.whenCaughtUp();
      await sub.stop();
      expect(seenAt).toBeGreaterThan(0);
      // Well below the adapters' fallback poll (PostgreSQL: 30 s here; Kafka: a long-poll
      // fetch that returns as data arrives). Other test files' transactions in the same
      // PostgreSQL cluster can hold the read horizon back for a moment, hence the margin.
      expect(seenAt - appendedAt).toBeLessThan(5_000);
    });
  });
}

/** Resolves once the child reports having handled at least `n` events. */
function handledAtLeast(child: ChildProcess, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('exit', (code) =>
      reject(new Error(`consumer child exited (${code}) before handling ${n}`)),
    );
    child.stdout!.on('data', (chunk) => {
      const counts = [...String(chunk).matchAll(/handled (\d+)/g)].map((m) => Number(m[1]));
      if (counts.some((c) => c >= n)) resolve();
    });
  });
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'consumer-child.ts');

/** Starts `consumer-child.ts` as its own OS process and waits for it to subscribe. */
async function startConsumerChild(
  name: string,
  env: Record<string, string>,
): Promise<ChildProcess> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', CHILD, name], {
      env: { ...process.env, ...env, CHILD_DELAY_MS: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stderr!.on('data', (c) => (output += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      output += c;
      if (String(c).includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`consumer child exited (${code}): ${output}`)));
  });
  return child;
}
