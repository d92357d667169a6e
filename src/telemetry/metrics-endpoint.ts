import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { authenticate, requireRole } from '../auth/access.ts';
import type { AuthFailureLimiter } from '../auth/auth-failure-limiter.ts';
import type { LeadlineMetrics } from './metrics.ts';

/** What {@link serveMetrics} needs. */
export interface MetricsEndpointDeps {
  metrics: LeadlineMetrics;
  db: pg.Pool;
  /** The deployment's `OPERATOR_API_KEY` (or the generated one). */
  operatorApiKey: string;
  /** Counts wrong keys per client address with the API's (one limit for both). */
  authFailures?: AuthFailureLimiter;
}

/**
 * Adds `GET /metrics` (Prometheus text format) and the timing of Twilio webhooks to `app`.
 * Call it on the root instance before the webhook routes are registered, so that the
 * `onResponse` hook applies to them: every route whose template starts with `/twilio/` is
 * recorded in `leadline_webhook_duration_seconds{route,status_code}`.
 *
 * `/metrics` takes an operator key as bearer (`OPERATOR_API_KEY` or `leadline keys create
 * --role operator`), on every role, the worker's health port included: consumer names, queue
 * sizes and latencies are operators' business. Prometheus sends it with `authorization:
 * { credentials_file: … }`. 401 without a valid key, 403 for another role, 429 from an
 * address that presented too many wrong keys (`deps.authFailures`).
 */
export function serveMetrics(app: FastifyInstance, deps: MetricsEndpointDeps): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/twilio/')) {
      deps.metrics.recordWebhook(route, reply.statusCode, reply.elapsedTime / 1000);
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    requireRole(await authenticate(request, deps), ['operator']);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metrics.scrape());
  });
}
