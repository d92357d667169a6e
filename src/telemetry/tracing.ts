import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { maskPhone } from '../shared/phone.ts';

let sdk: NodeSDK | undefined;

/**
 * A query string with every phone number masked: the values of `caller`, `from`, `to` and
 * `phone` parameters and any value that is a number in E.164 form (callback URLs carry the
 * caller, `/twilio/voice/screen?caller=…`). Sids and UUIDs are left as they are.
 */
export function maskQuery(query: string): string {
  const params = new URLSearchParams(query);
  let changed = false;
  for (const [key, value] of [...params]) {
    if (/^(caller|from|to|phone)$/i.test(key) || /^\+\d{7,15}$/.test(value)) {
      params.set(key, maskPhone(value));
      changed = true;
    }
  }
  return changed ? params.toString() : query;
}

/** A one-click unsubscribe token (`/u/<token>`) is a capability: traces show the route only. */
const UNSUBSCRIBE_PATH = /^\/u\/[^/?]+/;
const TOKEN_PATH = '/u/:token';

/**
 * Masks what an HTTP span's URL attributes must not carry: phone numbers in the query and
 * unsubscribe tokens in the path.
 */
export function maskUrlAttributes(span: Span, request: IncomingMessage | ClientRequest): void {
  const isClient = 'path' in request;
  const target = (isClient ? request.path : request.url) ?? '';
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  const maskedPath = path.replace(UNSUBSCRIBE_PATH, TOKEN_PATH);
  const maskedQuery = maskQuery(query);
  if (maskedPath === path && maskedQuery === query) return;
  if (isClient) {
    span.setAttribute(
      'url.full',
      `${request.protocol}//${request.host}${maskedPath}${query ? `?${maskedQuery}` : ''}`,
    );
  } else {
    span.setAttribute('url.path', maskedPath);
    if (query) span.setAttribute('url.query', maskedQuery);
  }
}

/**
 * Masks the phone number in a Kafka message key: the key is the stream id, and a lead's
 * stream id ends with the customer's number (`lead:<tenantId>:+14165550123`).
 */
function maskMessageKey(span: Span, key: Buffer | string | null | undefined): void {
  if (!key) return;
  const text = String(key);
  const masked = text.replace(/\+\d{7,15}$/, (phone) => maskPhone(phone));
  if (masked !== text) span.setAttribute('messaging.kafka.message.key', masked);
}

/**
 * Starts the OpenTelemetry Node SDK for traces: the exporter, sampler, resource and batch
 * processor come from the standard `OTEL_*` variables (`OTEL_TRACES_EXPORTER`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_SERVICE_NAME`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_BSP_SCHEDULE_DELAY`, …), read by the SDK itself; the service
 * name defaults to `leadline`. Instruments `http` (incoming webhooks and the request to
 * Twilio), Fastify (`@fastify/otel`: routes, hooks, handlers), `pg` (queries, only inside a
 * traced operation, so idle polling makes no traces) and `kafkajs`. OTLP metrics and logs stay
 * off unless `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER` ask for them: Leadline's metrics
 * are served at `GET /metrics`; `OTEL_LOG_LEVEL` turns on the SDK's own diagnostics. Idempotent. Phone numbers in URLs and Kafka keys are masked,
 * unsubscribe tokens replaced by the route.
 *
 * Call it before the application's modules are imported (`telemetry/register.ts` does).
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): void {
  if (sdk) return;
  sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: 'leadline' }),
    instrumentations: [
      new HttpInstrumentation({
        requireParentforOutgoingSpans: true,
        ignoreIncomingRequestHook: (request) =>
          request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics',
        requestHook: (span, request) => maskUrlAttributes(span, request as IncomingMessage),
        applyCustomAttributesOnSpan: (span, request) => maskUrlAttributes(span, request),
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => url === '/healthz' || url === '/readyz' || url === '/metrics',
        requestHook: (span, request) => {
          if (UNSUBSCRIBE_PATH.test(request.url)) span.setAttribute('url.path', TOKEN_PATH);
        },
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation({
        producerHook: (span, { message }) => maskMessageKey(span, message.key),
        consumerHook: (span, { message }) => maskMessageKey(span, message.key),
      }),
    ],
    ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
}

/**
 * Exports the spans still buffered and stops the SDK (a no-op when tracing is off). Call it
 * before the process exits.
 */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => {});
}
