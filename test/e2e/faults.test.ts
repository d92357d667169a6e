import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { countDeliveries, distinctCallers, missedCallBurst } from '../support/burst.ts';
import { e2eBackends, OPERATOR_KEY, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { LocalBroker } from '../support/kafka-provision.ts';
import { sampleValue } from '../support/prometheus-text.ts';
import { createTestDatabase } from '../support/database.ts';
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

describe.each(e2eBackends())(
  'the embedded PostgreSQL killed (SIGKILL) under load, on the $backend log',
  ({ backend, env }) => {
    let e: E2eEnv;
    beforeAll(async () => {
      e = await startE2eEnv(env, ['serve'], { embedded: true });
      await e.addTenant({ name: 'Fault Plumbing', number: NUMBER, owner: OWNER, extra: GENEROUS });
    });
    afterAll(async () => {
      await e?.close();
    });

    it('no webhook is refused while it is down; it is restarted; every caller is texted exactly once', async () => {
      const postmaster = async () =>
        Number(
          (await readFile(path.join(e.env.LEADLINE_DATA_DIR!, 'pg/postmaster.pid'), 'utf8')).split(
            '\n',
          )[0],
        );
      let killedAt = 0;
      let readyAfterMs = 0;
      const outcomes = await missedCallBurst(e, {
        number: NUMBER,
        callers: distinctCallers('+1905556', 24),
        concurrency: 4,
        fault: {
          at: 6,
          run: async () => {
            process.kill(await postmaster(), 'SIGKILL');
            killedAt = Date.now();
            // Seen from outside: not ready while it is down, then ready by itself.
            readyAfterMs = await readyAgain(e, killedAt);
          },
        },
      });
      await spoolDrained(e);
      await waitUntilSettled(e.databaseUrl, undefined, 90_000);
      const counts = countDeliveries(e, OWNER, outcomes);
      const slowest = Math.max(...outcomes.flatMap((o) => o.durationsMs));
      console.log(
        `[faults] ${backend}: postmaster SIGKILL under load: ${outcomes.length} callers, ` +
          `${counts.refused} webhooks refused, ready again ${readyAfterMs} ms after the kill, ` +
          `slowest webhook ${slowest} ms, spooled ${await spooled(e)}, lost ${counts.lost}, ` +
          `duplicate texts ${counts.duplicateTexts}, ` +
          `duplicate owner alerts ${counts.duplicateAlerts}`,
      );
      expect(counts.refused).toBe(0);
      expect(counts.answered).toBe(outcomes.length);
      expect(counts.lost).toBe(0);
      expect(counts.duplicateTexts).toBe(0);
      expect(counts.duplicateAlerts).toBe(0);
      expect(readyAfterMs).toBeGreaterThan(0);
      // The outage was real: webhooks were kept in the spool while PostgreSQL was away.
      expect(await spooled(e)).toBeGreaterThan(0);
    });
  },
);

describe('the Kafka broker stopped and started again mid-burst', () => {
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
    e = await startE2eEnv({
      LOG_BACKEND: 'kafka',
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPIC_PREFIX: 'faults',
      KAFKA_PARTITIONS: '3',
    });
    await e.addTenant({ name: 'Broker Plumbing', number: NUMBER, owner: OWNER, extra: GENEROUS });
  });
  afterAll(async () => {
    await e?.close();
    await broker?.remove();
  });

  it('no webhook is refused, nothing is lost or doubled', async (context) => {
    if (skip) {
      console.log(`[faults] broker restart skipped: ${skip}`);
      context.skip();
    }
    let outageMs = 0;
    const outcomes = await missedCallBurst(e, {
      number: NUMBER,
      callers: distinctCallers('+1905557', 24),
      concurrency: 4,
      fault: {
        at: 6,
        run: async () => {
          const stoppedAt = Date.now();
          await broker!.stop();
          await sleep(2_000);
          await broker!.start();
          outageMs = Date.now() - stoppedAt;
        },
      },
    });
    await spoolDrained(e);
    await waitUntilSettled(e.databaseUrl, undefined, 120_000);
    const counts = countDeliveries(e, OWNER, outcomes);
    const slowest = Math.max(...outcomes.flatMap((o) => o.durationsMs));
    console.log(
      `[faults] kafka: broker stopped and started mid-burst (${outageMs} ms down): ` +
        `${outcomes.length} callers, ${counts.refused} webhooks refused, slowest webhook ${slowest} ms, ` +
        `spooled ${await spooled(e)}, lost ${counts.lost}, duplicate texts ${counts.duplicateTexts}, ` +
        `duplicate owner alerts ${counts.duplicateAlerts}`,
    );
    expect(counts.refused).toBe(0);
    expect(counts.lost).toBe(0);
    expect(counts.duplicateTexts).toBe(0);
    expect(counts.duplicateAlerts).toBe(0);
  });
});

/** The machine's own PostgreSQL cluster (Debian's `pg_ctlcluster`), if there is one. */
function systemCluster(): { version: string; adminUrl: string } | undefined {
  try {
    const version = readdirSync('/etc/postgresql')[0];
    execFileSync('pg_lsclusters', [], { stdio: 'ignore' });
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
  const pgctl = (action: 'stop' | 'start') =>
    execFileSync('pg_ctlcluster', [
      '--skip-systemctl-redirect',
      cluster!.version,
      'main',
      action,
      ...(action === 'stop' ? ['-m', 'fast'] : []),
    ]);
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
        {
          stdio: 'ignore',
        },
      );
    } catch {
      // already running
    }
    const databaseUrl = await createTestDatabase(cluster.adminUrl);
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
  });

  it('webhooks are answered while it is down, /readyz says so, and it reconnects by itself', async (context) => {
    if (skip) {
      console.log(`[faults] DATABASE_URL restart skipped: ${skip}`);
      context.skip();
    }
    let notReadyWhileDown = 0;
    let readyAfterMs = 0;
    const outcomes = await missedCallBurst(e, {
      number: NUMBER,
      callers: distinctCallers('+1905558', 20),
      concurrency: 3,
      fault: {
        at: 5,
        run: async () => {
          pgctl('stop');
          await sleep(1_000);
          notReadyWhileDown = (await fetch(`${e.service.baseUrl}/readyz`)).status;
          await sleep(2_000);
          pgctl('start');
          readyAfterMs = await readyAgain(e, Date.now());
        },
      },
    });
    await spoolDrained(e);
    await waitUntilSettled(e.databaseUrl, undefined, 90_000);
    const counts = countDeliveries(e, OWNER, outcomes);
    console.log(
      `[faults] postgres (DATABASE_URL, PostgreSQL ${cluster!.version}): server stopped 3 s mid-burst: ` +
        `${outcomes.length} callers, ${counts.refused} webhooks refused, /readyz while down ${notReadyWhileDown}, ` +
        `ready ${readyAfterMs} ms after it was back, spooled ${await spooled(e)}, lost ${counts.lost}, ` +
        `duplicate texts ${counts.duplicateTexts}, duplicate owner alerts ${counts.duplicateAlerts}`,
    );
    expect(notReadyWhileDown).toBe(503);
    expect(counts.refused).toBe(0);
    expect(counts.lost).toBe(0);
    expect(counts.duplicateTexts).toBe(0);
    expect(counts.duplicateAlerts).toBe(0);
    expect(await spooled(e)).toBeGreaterThan(0);
  });
});
