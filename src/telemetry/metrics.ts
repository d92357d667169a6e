import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { MetricsStatus } from './metrics-status.ts';
import type { Logger } from '../shared/logger.ts';

/** States of the outbound queue reported by `leadline_outbound_queue` (0 when empty). */
export const OUTBOUND_STATES = ['pending', 'deferred', 'retrying', 'sending', 'failed'] as const;

/**
 * What became of one attempt at a text, as `leadline_sms_send_results_total{status}` counts it:
 * `sent` (Twilio accepted it), `retrying` (a transient failure; it will be tried again),
 * `failed` (for good), `withheld` (consent, dry-run, quota, expired), `deferred` (quiet hours).
 */
export type SendResultStatus = 'sent' | 'retrying' | 'failed' | 'withheld' | 'deferred';

/**
 * A refused API key attempt, as `leadline_auth_failures_total{outcome}` counts it: `rejected`
 * (a wrong key: 401) or `limited` (refused unchecked, its address failed too often: 429).
 */
export type AuthFailureOutcome = 'rejected' | 'limited';

/** Upper bounds (s) of the webhook latency buckets; Twilio gives up on a webhook after 15 s. */
const WEBHOOK_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * Reads the service's state (consumer lag, queue, horizon) for the gauges; absent: no
   * gauges. Called at most once per `statusCacheMs`, however often `/metrics` is scraped.
   */
  status?: () => Promise<MetricsStatus>;
  /**
   * What waits in this process's webhook spool (`leadline_intake_spool_entries`,
   * `leadline_intake_spool_oldest_seconds`); absent: not reported.
   */
  intake?: () => { entries: number; oldestSeconds: number };
  /** How long (ms) one status reading serves scrapes. Default 5000. */
  statusCacheMs?: number;
  logger?: Logger;
}

/**
 * One process's metrics (OpenTelemetry metrics SDK, read by the Prometheus exporter without
 * its own server: `GET /metrics` serves {@link LeadlineMetrics.scrape}).
 *
 * - `leadline_consumer_lag_events{consumer}`, `leadline_consumer_lag_seconds{consumer}`:
 *   events appended that the consumer has not handled, and the age (s) of the oldest of them,
 *   against the true head of the log (PostgreSQL: every committed event, including those the
 *   horizon still hides; Kafka: every event Leadline appended).
 * - `leadline_log_horizon_stalled` (1 when committed events have been held back for 5 s or
 *   more behind an older open transaction, else 0), `leadline_log_horizon_held_back_events`,
 *   `leadline_log_horizon_held_back_seconds` (PostgreSQL log only).
 * - `leadline_outbound_queue{state}`: texts pending, deferred, retrying, sending, failed (7 days).
 * - `leadline_timers{state="waiting"|"overdue"}`: durable timers not yet fired.
 * - `leadline_webhook_duration_seconds{route,status_code}`: histogram of Twilio webhook
 *   response times, by route template (`/twilio/voice/status`).
 * - `leadline_sms_send_results_total{status,error_code,reason}`: the sender's results.
 * - `leadline_webhooks_refused_total{route,reason}`: webhooks refused unread or unstored.
 * - `leadline_intake_spooled_total{kind}`, `leadline_intake_rejected_total{kind}`,
 *   `leadline_intake_spool_entries`,
 *   `leadline_intake_spool_oldest_seconds`: the webhook spool (facts kept on local disk
 *   while the log or the database is unreachable).
 * - `leadline_auth_failures_total{outcome="rejected"|"limited"}`: wrong API keys on `/api/v1`
 *   and `/metrics`, and attempts refused by the failed-authentication limit.
 *
 * The gauges come from the database, so every process reports the same values; the histogram
 * and the counter are this process's own.
 */
export interface LeadlineMetrics {
  /** Records one webhook's response time (`seconds`) under its route template. */
  recordWebhook(route: string, statusCode: number, seconds: number): void;
  /**
   * Counts one result of the sender. `errorCode`: Twilio's error code or the HTTP status
   * (failed, retrying); `reason`: why a text was withheld or deferred.
   */
  recordSendResult(
    status: SendResultStatus,
    detail?: { errorCode?: string | null; reason?: string | null },
  ): void;
  /**
   * Counts one webhook refused before any handler ran (`leadline_webhooks_refused_total
   * {route,reason}`): missing or invalid signature, another account, not form-encoded, too
   * large, rate-limited. Nothing of such a request is stored.
   */
  recordWebhookRefused(route: string, reason: string): void;
  /** Counts one entry written to the webhook spool (`leadline_intake_spooled_total{kind}`). */
  recordSpooled(kind: string): void;
  /**
   * Counts one spooled entry the log refused for what it holds, moved to the spool's
   * `rejected/` folder (`leadline_intake_rejected_total{kind}`): an operator must look.
   */
  recordSpoolRejected(kind: string): void;
  /** Counts one refused API key attempt (see {@link AuthFailureOutcome}). */
  recordAuthFailure(outcome: AuthFailureOutcome): void;
  /** Every metric in the Prometheus text format (0.0.4). */
  scrape(): Promise<string>;
  /** Stops the meter provider. */
  shutdown(): Promise<void>;
}

/** Creates a process's {@link LeadlineMetrics}. */
export function createMetrics(options: MetricsOptions = {}): LeadlineMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'leadline' }),
    readers: [exporter],
  });
  const meter = provider.getMeter('leadline');

  const webhookDuration = meter.createHistogram('leadline_webhook_duration_seconds', {
    description: 'Time to answer a Twilio webhook, by route template and HTTP status',
    unit: 's',
    advice: { explicitBucketBoundaries: WEBHOOK_BUCKETS_SECONDS },
  });
  const sendResults = meter.createCounter('leadline_sms_send_results', {
    description:
      'Results of the sender: sent, retrying, failed, withheld, deferred; with the error code (Twilio code or HTTP status) and the reason',
  });
  const authFailures = meter.createCounter('leadline_auth_failures', {
    description:
      'Refused API keys on /api/v1 and /metrics: rejected (wrong key, 401) or limited (the address failed too often, 429)',
  });

  const webhooksRefused = meter.createCounter('leadline_webhooks_refused', {
    description:
      'Webhooks refused before any handler ran, by route and reason (missing-signature, invalid-signature, wrong-account, unsupported-media-type, body-too-large, rate-limited); nothing of them is stored',
  });
  const spooled = meter.createCounter('leadline_intake_spooled', {
    description:
      'Webhook facts written to the local spool because the log or the database was unreachable, by kind',
  });
  const spoolRejected = meter.createCounter('leadline_intake_rejected', {
    description:
      "Spooled webhook facts the log refused for what they hold, moved to the spool's rejected/ folder, by kind",
  });
  if (options.intake) {
    const intake = options.intake;
    meter
      .createObservableGauge('leadline_intake_spool_entries', {
        description: 'Webhook facts waiting in the local spool for the log',
      })
      .addCallback((observer) => observer.observe(intake().entries));
    meter
      .createObservableGauge('leadline_intake_spool_oldest_seconds', {
        description: 'Age of the oldest webhook fact waiting in the local spool (0 when empty)',
        unit: 's',
      })
      .addCallback((observer) => observer.observe(intake().oldestSeconds));
  }

  if (options.status) {
    const readStatus = cached(options.status, options.statusCacheMs ?? 5_000);
    const lagEvents = meter.createObservableGauge('leadline_consumer_lag_events', {
      description: 'Events appended to the log that the consumer has not handled yet',
    });
    const lagSeconds = meter.createObservableGauge('leadline_consumer_lag_seconds', {
      description: 'Age of the oldest event the consumer has not handled yet (0 when caught up)',
      unit: 's',
    });
    const stalled = meter.createObservableGauge('leadline_log_horizon_stalled', {
      description:
        '1 when committed events have been held back from PostgreSQL log readers for 5 s or more by an older open transaction',
    });
    const heldBackEvents = meter.createObservableGauge('leadline_log_horizon_held_back_events', {
      description: 'Committed events that log readers cannot see yet behind an open transaction',
    });
    const heldBackSeconds = meter.createObservableGauge('leadline_log_horizon_held_back_seconds', {
      description: 'How long the oldest held-back committed event has waited',
      unit: 's',
    });
    const queue = meter.createObservableGauge('leadline_outbound_queue', {
      description: 'Outbound texts by state (failed: last 7 days)',
    });
    const timers = meter.createObservableGauge('leadline_timers', {
      description: 'Durable timers not yet fired (waiting) and those past due (overdue)',
    });
    meter.addBatchObservableCallback(
      async (observer) => {
        const status = await readStatus();
        for (const c of status.consumers) {
          observer.observe(lagEvents, c.eventsBehind, { consumer: c.consumer });
          observer.observe(lagSeconds, c.secondsBehind, { consumer: c.consumer });
        }
        if (status.horizon) {
          observer.observe(stalled, status.horizon.stalled ? 1 : 0);
          observer.observe(heldBackEvents, status.horizon.heldBackEvents);
          observer.observe(heldBackSeconds, status.horizon.heldBackSeconds);
        }
        const states = new Set<string>([...OUTBOUND_STATES, ...Object.keys(status.outbound)]);
        for (const state of states) observer.observe(queue, status.outbound[state] ?? 0, { state });
        observer.observe(timers, status.timers.waiting, { state: 'waiting' });
        observer.observe(timers, status.timers.overdue, { state: 'overdue' });
      },
      [lagEvents, lagSeconds, stalled, heldBackEvents, heldBackSeconds, queue, timers],
    );
  }

  return {
    recordWebhook(route, statusCode, seconds) {
      webhookDuration.record(seconds, { route, status_code: String(statusCode) });
    },
    recordSendResult(status, detail = {}) {
      sendResults.add(1, {
        status,
        error_code: detail.errorCode ?? '',
        reason: detail.reason ?? '',
      });
    },
    recordWebhookRefused(route, reason) {
      webhooksRefused.add(1, { route, reason });
    },
    recordSpooled(kind) {
      spooled.add(1, { kind });
    },
    recordSpoolRejected(kind) {
      spoolRejected.add(1, { kind });
    },
    recordAuthFailure(outcome) {
      authFailures.add(1, { outcome });
    },
    async scrape() {
      const { resourceMetrics, errors } = await exporter.collect();
      for (const error of errors) {
        options.logger?.warn({ err: error }, 'a metric could not be collected');
      }
      return serializer.serialize(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** `read`, called at most once per `ttlMs`; a failed reading is not kept. */
function cached<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let value: Promise<T> | undefined;
  let at = 0;
  return () => {
    if (!value || Date.now() - at >= ttlMs) {
      at = Date.now();
      value = read();
      value.catch(() => {
        value = undefined;
      });
    }
    return value;
  };
}
