import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { node, tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeHorizon } from '../../src/cli/status-command.ts';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import type { ConsumerContext } from '../../src/log/event-log.ts';
import type { ServiceStatus } from '../../src/runtime/service-status.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/telemetry/metrics.ts';
import {
  activeTraceparent,
  contextFromTraceparent,
  inSpan,
} from '../../src/telemetry/trace-context.ts';
import { tracedConsumer } from '../../src/telemetry/traced-consumer.ts';
import { timersWrite } from '../../src/processors/timers/timers.ts';
import { runWrites } from '../../src/db/combined-writes.ts';
import { tracingRequested } from '../../src/telemetry/tracing-requested.ts';
import { maskQuery, maskUrlAttributes } from '../../src/telemetry/tracing.ts';
import { sampleValue } from '../support/prometheus-text.ts';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracing is off unless the standard OTEL_* variables configure an exporter', () => {
  it.each([
    [{}, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }, false],
    [{ OTEL_SERVICE_NAME: 'leadline' }, false],
  ])('%j → %s', (env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});

describe('trace context in event envelopes (W3C traceparent)', () => {
  it('a stored traceparent becomes the remote parent; anything else starts a new trace', () => {
    expect(trace.getSpanContext(contextFromTraceparent(PARENT))).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    for (const bad of [
      null,
      undefined,
      '',
      'garbage',
      `${PARENT}-x`,
      '00-' + '0'.repeat(32) + '-b7ad6b7169203331-01',
    ]) {
      expect(trace.getSpanContext(contextFromTraceparent(bad)), String(bad)).toBeUndefined();
    }
  });

  it('outside any span there is no traceparent to store', () => {
    expect(activeTraceparent()).toBeUndefined();
  });
});

describe('spans continue the trace stored in the event (SDK with an in-memory exporter)', () => {
  const exporter = new tracing.InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({
    spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
  });
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(() => exporter.reset());

  const event = {
    id: 'e1',
    type: 'DialMissed',
    streamId: 'lead:t1:+14165550123',
    position: '42',
    correlationId: 'CA123',
    traceparent: PARENT,
  } as unknown as RecordedLeadlineEvent;
  const ctx = (replay: boolean) =>
    ({ db: {} as never, replay, log: silentLogger }) as ConsumerContext;

  it('a consumer handles each event in a CONSUMER span under the event’s traceparent; what it stores carries that span', async () => {
    let seen: string | undefined;
    const consumer = tracedConsumer({
      name: 'processor:test',
      handle: async () => {
        seen = activeTraceparent();
      },
    });
    expect(consumer.name).toBe('processor:test');
    await consumer.handle(event, ctx(false));
    const [span] = exporter.getFinishedSpans();
    expect(span).toBeDefined();
    expect(span!.name).toBe('processor:test handle DialMissed');
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span!.attributes).toMatchObject({
      'leadline.consumer': 'processor:test',
      'leadline.event.type': 'DialMissed',
      'leadline.event.position': '42',
      'leadline.stream.category': 'lead',
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('4165550123');
    expect(seen).toBe(`00-0af7651916cd43dd8448eb211c80319c-${span!.spanContext().spanId}-01`);
  });

  it('a timer keeps the trace of the span that set it, for the TimerElapsed it fires', async () => {
    const queries: unknown[][] = [];
    const db = {
      query: async (_sql: string, params: unknown[] = []) => {
        queries.push(params);
        return { rows: [], rowCount: 0 };
      },
    };
    const consumer = tracedConsumer({
      name: 'processor:test',
      handle: async (_event, c) => {
        await runWrites(c.db, [
          timersWrite(c, [
            {
              owner: { tenantId: 't1', streamId: 's1' },
              timers: [
                {
                  timerId: 'x',
                  kind: 'owner-alert-batch',
                  key: 'k',
                  dueAt: '2026-01-01T00:00:00Z',
                },
              ],
            },
          ]),
        ]);
      },
    });
    await consumer.handle(event, { ...ctx(false), db: db as never });
    const [span] = exporter.getFinishedSpans();
    expect(queries[0]![6]).toBe(
      `00-0af7651916cd43dd8448eb211c80319c-${span!.spanContext().spanId}-01`,
    );
  });

  it('replays (rebuilds) make no spans', async () => {
    const consumer = tracedConsumer({ name: 'projection:test', handle: async () => {} });
    await consumer.handle(event, ctx(true));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('a failure marks the span, with phone numbers masked, and is rethrown unchanged', async () => {
    const error = new Error('no tenant for +14165550123');
    await expect(
      inSpan('work', { parent: null }, async () => {
        throw error;
      }),
    ).rejects.toBe(error);
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.status.message).toContain('no tenant for +1');
    expect(JSON.stringify(span!.events)).not.toContain('4165550123');
  });
});

describe('traces never carry a phone number in a URL', () => {
  it('masks caller, from, to, phone and E.164 values, and leaves Sids and UUIDs alone', () => {
    const masked = maskQuery(
      'tenantId=40d60456-26ca-5bed-903c-d813e1073ca6&callSid=CA0123456789abcdef&leg=owner&caller=%2B16475550123',
    );
    expect(masked).toContain('tenantId=40d60456-26ca-5bed-903c-d813e1073ca6');
    expect(masked).toContain('callSid=CA0123456789abcdef');
    expect(masked).not.toContain('6475550123');
    expect(maskQuery('x=%2B14165550123')).not.toContain('4165550123');
    expect(maskQuery('tenantId=1&callSid=CA1')).toBe('tenantId=1&callSid=CA1');
  });

  it('HTTP spans: the caller in a callback URL is masked, an unsubscribe token replaced by the route', () => {
    const attributesOf = (request: object) => {
      const attributes: Record<string, unknown> = {};
      const span = { setAttribute: (k: string, v: unknown) => (attributes[k] = v) };
      maskUrlAttributes(span as never, request as never);
      return attributes;
    };
    const screen = attributesOf({
      url: '/twilio/voice/screen?tenantId=t1&callSid=CA1&leg=owner&caller=%2B16475550123',
    });
    expect(screen['url.query']).toMatch(/^tenantId=t1&callSid=CA1&leg=owner&caller=/);
    expect(JSON.stringify(screen)).not.toContain('6475550123');
    expect(attributesOf({ url: '/u/Zm9vYmFyYmF6cXV4' })).toEqual({ 'url.path': '/u/:token' });
    expect(attributesOf({ url: '/twilio/voice/status?tenantId=t1&callSid=CA1' })).toEqual({});
    const client = attributesOf({
      path: '/lookup?To=%2B16475550123',
      protocol: 'http:',
      host: '127.0.0.1:4010',
    });
    expect(client['url.full']).toMatch(/^http:\/\/127\.0\.0\.1:4010\/lookup\?To=/);
    expect(JSON.stringify(client)).not.toContain('6475550123');
  });
});

describe('metrics in the Prometheus text format', () => {
  const status: ServiceStatus = {
    logBackend: 'postgres',
    consumers: [
      {
        consumer: 'projection:dashboard',
        eventsBehind: 3,
        secondsBehind: 7,
        eventsHandled: 10,
        checkpointAt: null,
      },
      {
        consumer: 'processor:lead-conversation',
        eventsBehind: 0,
        secondsBehind: 0,
        eventsHandled: 13,
        checkpointAt: null,
      },
    ],
    outbound: { pending: 2, failed: 1 },
    timers: { waiting: 4, overdue: 1 },
    qualification: { waiting: 0, failed: 0 },
    horizon: {
      heldBackEvents: 3,
      heldBackSeconds: 6.5,
      stalled: true,
      oldestTransaction: null,
    },
  };

  it('gauges from one status reading per interval, however often it is scraped', async () => {
    let readings = 0;
    const metrics = createMetrics({
      status: async () => {
        readings++;
        return status;
      },
      statusCacheMs: 60_000,
    });
    const text = await metrics.scrape();
    await metrics.scrape();
    expect(readings).toBe(1);
    expect(text).toContain('# TYPE leadline_consumer_lag_events gauge');
    const lag = (consumer: string) => ({ consumer });
    expect(sampleValue(text, 'leadline_consumer_lag_events', lag('projection:dashboard'))).toBe(3);
    expect(sampleValue(text, 'leadline_consumer_lag_seconds', lag('projection:dashboard'))).toBe(7);
    expect(
      sampleValue(text, 'leadline_consumer_lag_events', lag('processor:lead-conversation')),
    ).toBe(0);
    expect(sampleValue(text, 'leadline_log_horizon_stalled')).toBe(1);
    expect(sampleValue(text, 'leadline_log_horizon_held_back_events')).toBe(3);
    expect(sampleValue(text, 'leadline_log_horizon_held_back_seconds')).toBe(6.5);
    expect(sampleValue(text, 'leadline_outbound_queue', { state: 'pending' })).toBe(2);
    expect(sampleValue(text, 'leadline_outbound_queue', { state: 'failed' })).toBe(1);
    expect(sampleValue(text, 'leadline_outbound_queue', { state: 'sending' })).toBe(0);
    expect(sampleValue(text, 'leadline_timers', { state: 'overdue' })).toBe(1);
    await metrics.shutdown();
  });

  it('webhook latency histograms by route and send results by status and error code', async () => {
    const metrics = createMetrics();
    metrics.recordWebhook('/twilio/voice', 200, 0.012);
    metrics.recordWebhook('/twilio/voice', 200, 0.3);
    metrics.recordWebhook('/twilio/sms', 403, 0.002);
    metrics.recordSendResult('sent');
    metrics.recordSendResult('sent');
    metrics.recordSendResult('failed', { errorCode: '21610' });
    metrics.recordSendResult('withheld', { reason: 'consent-revoked' });
    const text = await metrics.scrape();
    const voice = { route: '/twilio/voice', status_code: '200' };
    expect(sampleValue(text, 'leadline_webhook_duration_seconds_count', voice)).toBe(2);
    expect(sampleValue(text, 'leadline_webhook_duration_seconds_sum', voice)).toBeCloseTo(0.312);
    expect(
      sampleValue(text, 'leadline_webhook_duration_seconds_bucket', { ...voice, le: '0.025' }),
    ).toBe(1);
    expect(
      sampleValue(text, 'leadline_webhook_duration_seconds_bucket', { ...voice, le: '0.5' }),
    ).toBe(2);
    expect(
      sampleValue(text, 'leadline_webhook_duration_seconds_count', {
        route: '/twilio/sms',
        status_code: '403',
      }),
    ).toBe(1);
    expect(sampleValue(text, 'leadline_sms_send_results_total', { status: 'sent' })).toBe(2);
    expect(
      sampleValue(text, 'leadline_sms_send_results_total', {
        status: 'failed',
        error_code: '21610',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'leadline_sms_send_results_total', {
        status: 'withheld',
        reason: 'consent-revoked',
      }),
    ).toBe(1);
    // No database behind it: no gauges.
    expect(text).not.toContain('leadline_consumer_lag_events');
    await metrics.shutdown();
  });
});

describe('leadline status: the horizon line', () => {
  it('names how much is held back, for how long, and the open transaction', () => {
    expect(
      describeHorizon({
        heldBackEvents: 0,
        heldBackSeconds: 0,
        stalled: false,
        oldestTransaction: null,
      }),
    ).toBe('ok (nothing held back)');
    expect(
      describeHorizon({
        heldBackEvents: 3,
        heldBackSeconds: 12.5,
        stalled: true,
        oldestTransaction: {
          pid: 4242,
          database: 'leadline',
          application: 'psql',
          state: 'idle in transaction',
          ageSeconds: 14,
        },
      }),
    ).toBe(
      'STALLED: 3 committed events held back for 12.5 s behind an open transaction (pid 4242, database leadline, idle in transaction for 14 s)',
    );
  });
});
