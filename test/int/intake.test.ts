import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { LeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { Intake, type IntakeOptions } from '../../src/intake/intake.ts';
import { Spool, SpoolFullError } from '../../src/intake/spool.ts';
import type { AppendResult, EventLog } from '../../src/log/event-log.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import type { E164 } from '../../src/shared/phone.ts';

/** A log that can be taken away: appends fail like a lost connection while `down`. */
class FlakyLog {
  down = false;
  hang = false;
  readonly stored = new Map<string, LeadlineEvent>();
  readonly order: string[] = [];

  async append(events: LeadlineEvent[]): Promise<AppendResult[]> {
    if (this.hang) await new Promise(() => {});
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return events.map((e) => {
      const duplicate = this.stored.has(e.id);
      if (!duplicate) {
        this.stored.set(e.id, e);
        this.order.push(e.id);
      }
      return { id: e.id, position: String(this.order.indexOf(e.id)), duplicate };
    });
  }
}

const clock = fixedClock('2026-11-27T12:00:00Z');
const fact = (n: number) =>
  newEvent(
    {
      type: 'WebhookRejected',
      streamId: 'webhooks:rejected',
      tenantId: null,
      data: { route: '/twilio/voice', reason: 'unknown-number', to: '+14165550100', sid: `CA${n}` },
      idempotencyKey: `fact-${n}`,
    },
    clock,
  );

describe('the intake: durable in the log or in the spool, drained in order exactly once', () => {
  const dirs: string[] = [];
  const intakes: Intake[] = [];
  afterEach(async () => {
    for (const intake of intakes.splice(0)) await intake.stop();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function open(
    log: FlakyLog,
    dir?: string,
    maxBytes = 1024 * 1024,
    relayStaffText?: IntakeOptions['relayStaffText'],
  ) {
    const spoolDir = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'leadline-spool-')));
    if (!dir) dirs.push(spoolDir);
    const spool = await Spool.open(spoolDir, { maxBytes });
    const intake = new Intake({
      log: log as unknown as EventLog,
      spool,
      appendDeadlineMs: 200,
      logger: silentLogger,
      recordStatus: async () => true,
      relayStaffText,
    });
    intakes.push(intake);
    return { intake, spool, dir: spoolDir };
  }

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await sleep(20);
    expect(check()).toBe(true);
  };

  it('while the log is down, facts are spooled; later facts queue behind them; all reach the log in order', async () => {
    const log = new FlakyLog();
    const { intake, spool } = await open(log);
    intake.start();
    log.down = true;
    expect((await intake.log.append([fact(1)]))[0]!.spooled).toBe(true);
    log.down = false;
    // The log is back, but fact 1 still waits: fact 2 must not overtake it.
    const second = await intake.log.append([fact(2)]);
    expect(second[0]!.spooled || log.order.includes(fact(1).id)).toBe(true);
    await until(() => spool.pending() === 0);
    expect(log.order).toEqual([fact(1).id, fact(2).id]);
    const third = await intake.log.append([fact(3)]);
    expect(third[0]!.spooled).toBeUndefined(); // straight to the log again
  });

  it('a log that does not answer in time is treated as away: the webhook is not held', async () => {
    const log = new FlakyLog();
    const { intake, spool } = await open(log);
    log.hang = true;
    const started = Date.now();
    expect((await intake.log.append([fact(1)]))[0]!.spooled).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(spool.pending()).toBe(1);
  });

  it('what a killed process left in the spool is appended by the next, once, and temporary files are dropped', async () => {
    const log = new FlakyLog();
    const first = await open(log);
    log.down = true;
    await first.intake.log.append([fact(1), fact(2)]);
    await first.intake.log.append([fact(3)]);
    // As if the process died before draining; and an append it drained too (then crashed
    // before removing the file) is already in the log.
    log.down = false;
    await log.append([fact(1), fact(2)]);
    const second = await open(log, first.dir);
    expect(second.spool.pending()).toBe(2);
    second.intake.start();
    await until(() => second.spool.pending() === 0);
    expect(log.order).toEqual([fact(1).id, fact(2).id, fact(3).id]);
    expect((await readdir(first.dir)).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('a staff text spooled while PostgreSQL was away is relayed once it is back, exactly once', async () => {
    const relayed: string[] = [];
    let databaseDown = true;
    const { intake, spool } = await open(new FlakyLog(), undefined, undefined, async (entry) => {
      if (databaseDown) {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
          code: 'ECONNREFUSED',
        });
      }
      relayed.push(entry.text.messageSid);
      return true;
    });
    await intake.defer({
      kind: 'staff-text',
      tenantId: 't1',
      text: { messageSid: 'SM1', from: '+14165550177' as E164, body: '#4821 On my way' },
      traceparent: null,
    });
    intake.start();
    await sleep(400);
    expect(relayed).toEqual([]);
    expect(spool.pending()).toBe(1);
    databaseDown = false;
    await until(() => spool.pending() === 0);
    expect(relayed).toEqual(['SM1']);
  });

  it('a full spool refuses rather than acknowledging what it cannot keep', async () => {
    const log = new FlakyLog();
    const { intake } = await open(log, undefined, 600);
    log.down = true;
    await intake.log.append([fact(1)]);
    await expect(intake.log.append([fact(2)])).rejects.toBeInstanceOf(SpoolFullError);
  });

  it('errors that are not about reaching the log fail the webhook as before, unspooled', async () => {
    const log = new FlakyLog();
    const { intake, spool } = await open(log);
    log.append = async () => {
      throw Object.assign(new Error('invalid input syntax'), { code: '22P02' });
    };
    await expect(intake.log.append([fact(1)])).rejects.toThrow('invalid input syntax');
    expect(spool.pending()).toBe(0);
  });
});
