import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { countDeliveries, distinctCallers, missedCallBurst } from '../support/burst.ts';
import { OPERATOR_KEY, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { LocalBroker } from '../support/kafka-provision.ts';
import { sampleValue } from '../support/prometheus-text.ts';
import { createTestDatabase, dropTestDatabase } from '../support/database.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550130';
const OWNER = '+14165550139';
const GENEROUS = ['--daily-quota', '5000', '--owner-alert-cap', '5000'];

/** Webhook facts the service kept in its spool (`leadline_intake_spooled_total`). */
async function spooled(e: E2eEnv): Promise<number> {
  const res = await fetch(`${e.service.baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${OPERATOR_KEY}` },
  });
  return sampleValue(await res.text(), 'leadline_intake_spooled_total') ?? 0;
}

/**
 * Waits until the service is ready and its webhook spool is empty: what was answered during
 * the outage is in the log. Only then can "settled" mean every caller was handled.
 */
async function spoolDrained(e: E2eEnv, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${e.service.baseUrl}/readyz`);
      const body = (await res.json()) as { spool?: { entries: number } };
      if (res.status === 200 && body.spool?.entries === 0) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error('the webhook spool was not drained in time');
    await sleep(200);
  }
}

/** Polls `/readyz` until it answers 200; resolves with the time it took (ms). */
async function readyAgain(e: E2eEnv, sinceMs: number, timeoutMs = 60_000): Promise<number> {
  for (;;) {
    try {
      const res = await fetch(`${e.service.baseUrl}/readyz`);
      if (res.status === 200) return Date.now() - sinceMs;
    } catch {
      // not listening: the process is gone, which this suite treats as a failure below
    }
    if (Date.now() - sinceMs > timeoutMs)
      throw new Error(`not ready ${timeoutMs} ms after the fault`);
    await sleep(100);
  }
}

/**
 * Drives a burst of missed calls at the service, runs `fault` once `at` callers have
 * started, waits until the spool is drained and everything settled, prints the counts with
 * `label`, and asserts what a caller and the owner must see: no webhook refused, every caller
 * texted once and the owner alerted once, no duplicates, and the outage real (webhooks were
 * spooled). @returns the counts, for further assertions.
 */
async function burstThroughFault(
  e: E2eEnv,
  label: string,
  burst: {
    callers: string[];
    concurrency: number;
    at: number;
    /** Injects the fault, calls `begun()` once the outage is real; resolves with a note. */
    fault: (begun: () => void) => Promise<string>;
  },
) {
  let faultNote = '';
  const spooledBefore = await spooled(e);
  const outcomes = await missedCallBurst(e, {
    number: NUMBER,
    callers: burst.callers,
    concurrency: burst.concurrency,
    fault: {
      at: burst.at,
      holdsBurst: true,
      run: async (begun) => void (faultNote = await burst.fault(begun)),
    },
  });
  await spoolDrained(e);
  await waitUntilSettled(e.databaseUrl, undefined, 120_000);
  const counts = countDeliveries(e, OWNER, outcomes);
  const slowest = Math.max(...outcomes.flatMap((o) => o.durationsMs));
  const kept = (await spooled(e)) - spooledBefore;
  console.log(
    `[faults] ${label} (${faultNote}): ${outcomes.length} callers, ${counts.refused} webhooks ` +
      `refused, slowest webhook ${slowest} ms, spooled ${kept}, lost ${counts.lost}, ` +
      `duplicate texts ${counts.duplicateTexts}, duplicate owner alerts ${counts.duplicateAlerts}`,
  );
  if (counts.refused + counts.lost + counts.duplicateTexts + counts.duplicateAlerts > 0) {
    printDiagnosis(e, counts.rows);
  }
  expect(counts.refused).toBe(0);
  expect(counts.answered).toBe(outcomes.length);
  expect(counts.lost).toBe(0);
  expect(counts.duplicateTexts).toBe(0);
  expect(counts.duplicateAlerts).toBe(0);
  expect(kept).toBeGreaterThan(0);
  return counts;
}

/**
 * What a failed burst needs to be explained (a CI run once lost all 24 callers with nothing
 * else to go on): who got no text or no alert, what the fake Twilio accepted, and the
 * service's warnings and errors (its log masks numbers and bodies).
 */
function printDiagnosis(
  e: E2eEnv,
  rows: ReadonlyArray<{ caller: string; answered: boolean; texts: number; alerts: number }>,
): void {
  const short = (list: string[]) => list.map((c) => c.slice(-4)).join(' ') || 'none';
  const problems = e.service.output
    .split('\n')
    .filter((line) => /"level":(40|50|60)/.test(line) || !line.startsWith('{'))
    .slice(-80);
  console.log(
    [
      '[faults] diagnosis:',
      `  unanswered: ${short(rows.filter((r) => !r.answered).map((r) => r.caller))}`,
      `  no text: ${short(rows.filter((r) => r.texts === 0).map((r) => r.caller))}`,
      `  no owner alert: ${short(rows.filter((r) => r.alerts === 0).map((r) => r.caller))}`,
      `  fake Twilio accepted ${e.twilio.messages.length} messages; last 5: ` +
        JSON.stringify(
          e.twilio.messages.slice(-5).map((m) => [m.to.slice(-4), m.body.slice(0, 60)]),
        ),
      `  service warnings and errors (last ${problems.length}):`,
      ...problems.map((line) => `    ${line.slice(0, 400)}`),
    ].join('\n'),
  );
}

/** The pid of the embedded postmaster a service runs under its data directory. */
const postmaster = async (e: E2eEnv) =>
  Number(
    (await readFile(path.join(e.env.LEADLINE_DATA_DIR!, 'pg/postmaster.pid'), 'utf8')).split(
      '\n',
    )[0],
  );

/** SIGKILLs the embedded postmaster; says how long until `/readyz` was 200 again, unaided. */
const killPostmaster = (e: E2eEnv) => async (begun: () => void) => {
  process.kill(await postmaster(e), 'SIGKILL');
  begun();
  return `ready again ${await readyAgain(e, Date.now())} ms after the kill`;
};

describe('on the embedded default (PostgreSQL log)', () => {
  let e: E2eEnv;
  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' }, ['serve'], { embedded: true });
    await e.addTenant({ name: 'Fault Plumbing', number: NUMBER, owner: OWNER, extra: GENEROUS });
  });
  afterAll(async () => {
    await e?.close();
  });

  it('the postmaster SIGKILLed under load: no webhook refused, restarted by itself, every caller texted once', async () => {
    await burstThroughFault(e, 'postgres: postmaster SIGKILL under load', {
      callers: distinctCallers('+1905556', 24),
      concurrency: 4,
      at: 6,
      fault: killPostmaster(e),
    });
  });
});

describe('on Kafka (a broker of its own) with the embedded PostgreSQL', () => {
  const brokers = inject('kafkaBrokers');
  let broker: LocalBroker | undefined;
  let e: E2eEnv;
  let skip = '';
  beforeAll(async () => {
    if (!brokers) {
      skip = `no Kafka broker for the tests (${inject('kafkaSkipReason')})`;
      return;
    }
    // A broker of this suite's own, on its own ports and data: the shared one must stay up.
    broker = await LocalBroker.create();
    try {
      await broker.start();
    } catch (error) {
      if (process.env.LEADLINE_REQUIRE_KAFKA) throw error;
      skip = `cannot start a broker of its own: ${String(error).split('\n')[0]}`;
      return;
    }
    e = await startE2eEnv(
      {
        LOG_BACKEND: 'kafka',
        KAFKA_BROKERS: broker.brokers,
        KAFKA_TOPIC_PREFIX: 'faults',
        KAFKA_PARTITIONS: '3',
      },
      ['serve'],
      { embedded: true },
    );
    await e.addTenant({ name: 'Broker Plumbing', number: NUMBER, owner: OWNER, extra: GENEROUS });
  });
  afterAll(async () => {
    await e?.close();
    await broker?.remove();
  });
  const skipping = (context: { skip: () => void }) => {
    if (!skip) return;
    console.log(`[faults] Kafka faults skipped: ${skip}`);
    context.skip();
  };

  it('the postmaster SIGKILLed under load: no webhook refused, restarted by itself, every caller texted once', async (context) => {
    skipping(context);
    await burstThroughFault(e, 'kafka: postmaster SIGKILL under load', {
      callers: distinctCallers('+1905556', 24),
      concurrency: 4,
      at: 6,
      fault: killPostmaster(e),
    });
  });

  it('the broker stopped and started mid-burst: no webhook refused, nothing lost or doubled', async (context) => {
    skipping(context);
    await burstThroughFault(e, 'kafka: broker stopped and started mid-burst', {
      callers: distinctCallers('+1905557', 24, 100),
      concurrency: 4,
      at: 6,
      fault: async (begun) => {
        const stoppedAt = Date.now();
        await broker!.stop();
        begun();
        await sleep(2_000);
        await broker!.start();
        return `${Date.now() - stoppedAt} ms down`;
      },
    });
    // A controlled shutdown and a cold start take 10-20 s on an idle machine, longer under CI.
  }, 180_000);
});

/**
 * `pg_ctlcluster` runs synchronously, so nothing else in this worker (not even the test's
 * timeout) can run while it does: its output is ignored (a postmaster that inherited a pipe
 * would hold it open for ever) and it is killed after 90 s.
 */
const PGCTL_OPTIONS = { stdio: 'ignore', timeout: 90_000, killSignal: 'SIGKILL' } as const;

/** The machine's own PostgreSQL cluster (Debian's `pg_ctlcluster`), if there is one. */
function systemCluster(): { version: string; adminUrl: string } | undefined {
  try {
    const version = readdirSync('/etc/postgresql')[0];
    execFileSync('pg_lsclusters', [], PGCTL_OPTIONS);
    return version
      ? { version, adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres' }
      : undefined;
  } catch {
    return undefined;
  }
}

describe('DATABASE_URL: the PostgreSQL server stopped and started again mid-burst', () => {
  const cluster = systemCluster();
  let e: E2eEnv;
  let skip = '';
  let databaseUrl: string | undefined;
  const pgctl = (action: 'stop' | 'start') =>
    execFileSync(
      'pg_ctlcluster',
      [
        '--skip-systemctl-redirect',
        cluster!.version,
        'main',
        action,
        ...(action === 'stop' ? ['-m', 'fast'] : []),
      ],
      PGCTL_OPTIONS,
    );
  beforeAll(async () => {
    if (!cluster) {
      skip = 'no system PostgreSQL cluster (pg_ctlcluster) on this machine';
      return;
    }
    if (new URL(inject('pgAdminUrl')).port === '5432') {
      skip =
        "the system PostgreSQL is this run's shared test server: stopping it would break other suites";
      return;
    }
    try {
      execFileSync(
        'pg_ctlcluster',
        ['--skip-systemctl-redirect', cluster.version, 'main', 'start'],
        PGCTL_OPTIONS,
      );
    } catch {
      // already running
    }
    databaseUrl = await createTestDatabase(cluster.adminUrl);
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' }, ['serve'], { databaseUrl });
    await e.addTenant({ name: 'Managed Plumbing', number: NUMBER, owner: OWNER, extra: GENEROUS });
  });
  afterAll(async () => {
    if (cluster) {
      try {
        pgctl('start');
      } catch {
        // running
      }
    }
    await e?.close();
    // The system server outlives the run: leave no database behind on it.
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  it('webhooks are answered while it is down, /readyz says so, and it reconnects by itself', async (context) => {
    if (skip) {
      console.log(`[faults] DATABASE_URL restart skipped: ${skip}`);
      context.skip();
    }
    let notReadyWhileDown = 0;
    await burstThroughFault(
      e,
      `postgres (DATABASE_URL, PostgreSQL ${cluster!.version}): server stopped 3 s mid-burst`,
      {
        callers: distinctCallers('+1905558', 20),
        concurrency: 3,
        at: 5,
        fault: async () => {
          pgctl('stop');
          await sleep(1_000);
          notReadyWhileDown = (await fetch(`${e.service.baseUrl}/readyz`)).status;
          await sleep(2_000);
          pgctl('start');
          const readyMs = await readyAgain(e, Date.now());
          return `/readyz while down ${notReadyWhileDown}, ready ${readyMs} ms after it was back`;
        },
      },
    );
    expect(notReadyWhileDown).toBe(503);
  });
});
