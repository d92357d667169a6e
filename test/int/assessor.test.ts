import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/db/client-config.ts';
import type { LeadlineEvent } from '../../src/events/catalogue.ts';
import type { AppendResult, EventLog } from '../../src/log/event-log.ts';
import { Assessor } from '../../src/qualification/assessor.ts';
import { deterministicEngine } from '../../src/qualification/deterministic-engine.ts';
import { NOTHING_KNOWN } from '../../src/qualification/model.ts';
import {
  qualificationsWrite,
  type QualificationRequest,
} from '../../src/qualification/request-queue.ts';
import { runWrites } from '../../src/db/combined-writes.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from '../support/database.ts';

/** A log that refuses appends while `down`, and keeps what it accepted. */
class FlakyLog {
  down = false;
  readonly appended: LeadlineEvent[] = [];
  async append(events: LeadlineEvent[]): Promise<AppendResult[]> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const fresh = events.filter((e) => !this.appended.some((a) => a.id === e.id));
    this.appended.push(...fresh);
    return events.map((e, i) => ({ id: e.id, position: String(i), duplicate: !fresh.includes(e) }));
  }
}

const request = (requestId: string, text: string): QualificationRequest => ({
  requestId,
  input: {
    turns: [{ from: 'lead', text }],
    known: NOTHING_KNOWN,
    language: 'en',
    timezone: 'America/Toronto',
    now: '2026-11-24T15:00:00.000Z',
  },
  asked: [],
  maxQuestions: 3,
  emergency: false,
  serviceArea: ['M4C'],
});

describe('the assessor: a lead text read once, recorded once, whatever fails', () => {
  let pool: pg.Pool;
  const log = new FlakyLog();
  let assessor: Assessor;
  let url: string;
  const enqueue = async (requests: QualificationRequest[], replay = false) => {
    const db = await pool.connect();
    try {
      const [inserted] = await runWrites(db, [
        qualificationsWrite(
          { db, replay, log: silentLogger },
          requests.map((r) => ({
            cause: {
              tenantId: 't1',
              streamId: 'lead:t1:+16475550123',
              eventId: randomUUID(),
              traceparent: null,
            },
            request: r,
          })),
        ),
      ]);
      return inserted;
    } finally {
      db.release();
    }
  };
  const rowOf = async (id: string) =>
    (
      await pool.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM qualification_requests WHERE request_id = $1',
        [id],
      )
    ).rows[0];
  const statusOf = async (id: string) => (await rowOf(id))?.status;

  const newAssessor = () =>
    new Assessor({
      url,
      pool,
      log: log as unknown as EventLog,
      engine: deterministicEngine(),
      clock: systemClock,
      logger: silentLogger,
      pollIntervalMs: 100,
      leaseMs: 10_000,
    });

  beforeAll(async () => {
    url = await createTestDatabase();
    pool = new pg.Pool(clientConfig(url));
    assessor = newAssessor();
    await assessor.start();
  });
  afterAll(async () => {
    await assessor.stop();
    await pool.end();
  });

  it('in replay nothing is queued: a rebuild never asks an engine', async () => {
    expect(await enqueue([request('SMreplay', 'leaking pipe')], true)).toBe(0);
    expect(await statusOf('SMreplay')).toBeUndefined();
  });

  it('a settled reading is appended with LeadQualified in one append; outside the area is marked', async () => {
    await enqueue([
      request('SM1', 'BURST PIPE 12 Oak St L6J 1J1 emergency, today please. - Sarah'),
    ]);
    await waitFor(async () => (await statusOf('SM1')) === 'done');
    const mine = log.appended.filter((e) => e.correlationId === 'SM1');
    expect(mine.map((e) => e.type)).toEqual(['QualificationAssessed', 'LeadQualified']);
    expect(mine[1]!.data).toMatchObject({ postalCode: 'L6J 1J1', outsideArea: true });
  });

  it('while the log refuses appends the request waits; once back it is recorded exactly once', async () => {
    log.down = true;
    await enqueue([request('SM2', 'my kitchen sink is clogged')]);
    await waitFor(async () => {
      const row = await rowOf('SM2');
      return row?.status === 'pending' && row.attempts >= 1;
    });
    expect(log.appended.filter((e) => e.correlationId === 'SM2')).toEqual([]);
    log.down = false;
    await waitFor(async () => (await statusOf('SM2')) === 'done', 15_000);
    // A redelivered request (the same MessageSid) queues nothing new.
    expect(await enqueue([request('SM2', 'my kitchen sink is clogged')])).toBe(0);
    expect(log.appended.filter((e) => e.correlationId === 'SM2').map((e) => e.type)).toEqual([
      'QualificationAssessed',
    ]);
  });

  it('a text whose assessors died three times is given up: QualificationFailed, so the lead is acknowledged', async () => {
    await assessor.stop(); // claim it by hand, as an assessor that then died would have
    await enqueue([request('SM3', 'my kitchen sink is clogged')]);
    await pool.query(
      `UPDATE qualification_requests SET status = 'assessing', expired_claims = 2,
         lease_until = now() - interval '1 second' WHERE request_id = 'SM3'`,
    );
    assessor = newAssessor();
    await assessor.start();
    await waitFor(async () => (await statusOf('SM3')) === 'failed');
    expect(
      log.appended.filter((e) => e.correlationId === 'SM3').map((e) => [e.type, e.data]),
    ).toEqual([
      ['QualificationFailed', { requestId: 'SM3', reason: 'the assessor died or hung 3 times' }],
    ]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
