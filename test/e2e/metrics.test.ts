import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../../src/events/new-event.ts';
import { REJECTED_WEBHOOKS_STREAM } from '../../src/events/streams.ts';
import type { ServiceStatus } from '../../src/runtime/service-status.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { actors } from '../support/actors.ts';
import { OPERATOR_KEY, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { sampleValue } from '../support/prometheus-text.ts';
import { runCli } from '../../harness/service-process.ts';
import { SERVICE_CONSUMERS, waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550100';
const OWNER = '+14165550199';

describe('GET /metrics (Prometheus) and leadline status: lag, horizon, queue, webhooks, sends', () => {
  let e: E2eEnv;
  const act = actors(() => e);

  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' });
    await e.addTenant({
      name: 'Maple Plumbing',
      number: NUMBER,
      owner: OWNER,
      extra: ['--alert-debounce', '0'],
    });
  });
  afterAll(async () => {
    await e?.close();
  });

  const scrape = (key: string | null = OPERATOR_KEY) =>
    fetch(`${e.service.baseUrl}/metrics`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
  async function metrics(): Promise<string> {
    const res = await scrape();
    expect(res.status).toBe(200);
    return res.text();
  }
  /** Scrapes until `ok(text)` holds (gauges are read from the database at most every 5 s). */
  async function metricsWhen(ok: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await metrics();
      if (ok(text)) return text;
      if (Date.now() > deadline) throw new Error(`metrics never matched; last scrape:\n${text}`);
      await sleep(250);
    }
  }
  const caughtUp = (text: string) =>
    SERVICE_CONSUMERS.every(
      (consumer) => sampleValue(text, 'leadline_consumer_lag_events', { consumer }) === 0,
    );

  it('needs an operator key: 401 without one, 403 for a tenant key', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('not-a-key')).status).toBe(401);
    const tenantKey = await act.createKey('--role', 'tenant', '--tenant', NUMBER);
    expect((await scrape(tenantKey)).status).toBe(403);
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('lag per consumer, the queue by state and the horizon, whatever has happened', async () => {
    const text = await metricsWhen(caughtUp);
    expect(text).toContain('# TYPE leadline_consumer_lag_events gauge');
    for (const consumer of SERVICE_CONSUMERS) {
      expect(sampleValue(text, 'leadline_consumer_lag_seconds', { consumer }), consumer).toBe(0);
    }
    for (const state of ['pending', 'deferred', 'retrying', 'sending', 'failed']) {
      expect(sampleValue(text, 'leadline_outbound_queue', { state }), state).toBe(0);
    }
    expect(sampleValue(text, 'leadline_log_horizon_stalled')).toBe(0);
    expect(sampleValue(text, 'leadline_log_horizon_held_back_events')).toBe(0);
    expect(sampleValue(text, 'leadline_timers', { state: 'overdue' })).toBe(0);
  });

  it('a missed call: webhook latency by route; texts sent, refused and retried by status and error code', async () => {
    const caller = '+16475550101';
    const refused = '+16475550102';
    const flaky = '+16475550103';
    e.twilio.refuseRecipient(refused, 21211, "The 'To' number is not a valid phone number.");
    e.twilio.failNextTo(flaky, 1);
    await act.missedCall(caller, NUMBER);
    await act.missedCall(refused, NUMBER);
    await act.missedCall(flaky, NUMBER);
    await waitUntilSettled(e.databaseUrl);
    expect(e.twilio.to(caller)).toHaveLength(1);
    expect(e.twilio.to(flaky)).toHaveLength(1);

    const text = await metrics();
    expect(text).toContain('# TYPE leadline_webhook_duration_seconds histogram');
    for (const route of ['/twilio/voice', '/twilio/voice/status']) {
      const labels = { route, status_code: '200' };
      expect(sampleValue(text, 'leadline_webhook_duration_seconds_count', labels), route).toBe(3);
      expect(
        sampleValue(text, 'leadline_webhook_duration_seconds_bucket', { ...labels, le: '+Inf' }),
      ).toBe(3);
      expect(
        sampleValue(text, 'leadline_webhook_duration_seconds_bucket', { ...labels, le: '15' }),
      ).toBe(3);
      expect(sampleValue(text, 'leadline_webhook_duration_seconds_sum', labels)).toBeGreaterThan(0);
    }
    // Three texts to callers (one refused), three alerts to the owner, one alert that a text
    // failed; the flaky caller's text failed once with Twilio's 20500 first.
    expect(sampleValue(text, 'leadline_sms_send_results_total', { status: 'sent' })).toBe(6);
    expect(
      sampleValue(text, 'leadline_sms_send_results_total', {
        status: 'failed',
        error_code: '21211',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'leadline_sms_send_results_total', {
        status: 'retrying',
        error_code: '20500',
      }),
    ).toBe(1);
    expect(text).not.toContain('6475550101');

    // The gauges are read from the database at most every 5 s: wait for a fresh reading.
    await metricsWhen(
      (t) => caughtUp(t) && sampleValue(t, 'leadline_outbound_queue', { state: 'failed' }) === 1,
    );
  });

  it('the horizon: "stalled" while an open transaction holds committed events back from every reader, then 0', async () => {
    await metricsWhen(
      (text) => caughtUp(text) && sampleValue(text, 'leadline_log_horizon_stalled') === 0,
    );
    const holder = new pg.Client({ connectionString: e.databaseUrl });
    await holder.connect();
    try {
      // A transaction that took an id and stays open: every later transaction's events are
      // committed but hidden from the gap-safe readers until it ends.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');
      const log = await e.eventLog();
      await log.append([
        newEvent(
          {
            type: 'WebhookRejected',
            streamId: REJECTED_WEBHOOKS_STREAM,
            tenantId: null,
            data: { route: '/twilio/voice', reason: 'missing-signature', to: null, sid: null },
            idempotencyKey: 'metrics-test:held-back',
          },
          systemClock,
        ),
      ]);

      const stalled = await metricsWhen(
        (text) => sampleValue(text, 'leadline_log_horizon_stalled') === 1,
      );
      expect(sampleValue(stalled, 'leadline_log_horizon_held_back_events')).toBeGreaterThanOrEqual(
        1,
      );
      expect(sampleValue(stalled, 'leadline_log_horizon_held_back_seconds')).toBeGreaterThanOrEqual(
        5,
      );
      // Lag is measured against the true head: the held-back event counts for every consumer.
      for (const consumer of SERVICE_CONSUMERS) {
        expect(
          sampleValue(stalled, 'leadline_consumer_lag_events', { consumer }),
          consumer,
        ).toBeGreaterThanOrEqual(1);
        expect(
          sampleValue(stalled, 'leadline_consumer_lag_seconds', { consumer }),
          consumer,
        ).toBeGreaterThanOrEqual(5);
      }

      const human = await runCli(['status'], e.env);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(
        /horizon: STALLED: \d+ committed events held back for [\d.]+ s behind an open transaction \(pid \d+/,
      );
      const json = await runCli(['status', '--json'], e.env);
      const status = JSON.parse(json.stdout) as ServiceStatus;
      expect(status.horizon).toMatchObject({
        stalled: true,
        oldestTransaction: expect.any(Object),
      });
      expect(status.horizon!.heldBackEvents).toBeGreaterThanOrEqual(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }

    const after = await metricsWhen(
      (text) => sampleValue(text, 'leadline_log_horizon_stalled') === 0 && caughtUp(text),
    );
    expect(sampleValue(after, 'leadline_log_horizon_held_back_events')).toBe(0);
    const human = await runCli(['status'], e.env);
    expect(human.stdout).toContain('horizon: ok (nothing held back)');
    expect(human.stdout).toMatch(/^qualification: 0 waiting, 0 given up \(7 days\)$/m);
  });
});
