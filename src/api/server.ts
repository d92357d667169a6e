import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Wakeups } from '../db/wakeups.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import { AuthFailureLimiter, type AuthFailureLimits } from '../auth/auth-failure-limiter.ts';
import { loadConfig } from '../config/config.ts';
import { LeadlineError, TooManyRequestsError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { LeadlineMetrics } from '../telemetry/metrics.ts';
import { serveMetrics } from '../telemetry/metrics-endpoint.ts';
import { dashboardPage } from './dashboard-page.ts';
import { readApi } from './read-api.ts';
import { docsSecurity, securityHeaders } from './security-headers.ts';
import { unsubscribePage } from './unsubscribe-page.ts';
import { twilioWebhooks } from './twilio-webhooks.ts';

/** What the HTTP server needs. */
export interface ServerDeps {
  log: EventLog;
  db: pg.Pool;
  clock: Clock;
  logger: Logger;
  publicBaseUrl: string;
  webhookAuthToken: string;
  operatorApiKey: string;
  /** Notifications of dashboard changes (tenant id payloads) for `/api/v1/stream`. */
  dashboardChanges?: Wakeups;
  /** Extra readiness check (e.g. the worker's consumers started). */
  isReady?: () => boolean;
  /** False for the worker role: only `/healthz`, `/readyz` and `/metrics`. Default true. */
  publicRoutes?: boolean;
  /** Served at `GET /metrics` (operator key); webhook response times are recorded in it. */
  metrics?: LeadlineMetrics;
  /**
   * Wrong API keys allowed per client address and window on `/api/v1` and `/metrics`.
   * Absent: `LEADLINE_AUTH_FAILURE_LIMIT` / `_WINDOW_MS` from the environment (validated at
   * start by `loadConfig`).
   */
  authFailures?: AuthFailureLimits;
}

/**
 * Builds the Fastify app: Twilio webhooks under `/twilio`, the read API under `/api/v1`,
 * the owner's dashboard at `/dashboard`, one-click unsubscribe at `/u/<token>`,
 * `/healthz` (the process is up), `/readyz` (it can reach PostgreSQL) and, given metrics,
 * `/metrics` (Prometheus, operator key). Errors are JSON
 * `{ error: { code, message } }` with the status their type carries (429 also with
 * `Retry-After`).
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    disableRequestLogging: false,
    trustProxy: true,
    bodyLimit: 1024 * 1024,
  });
  await app.register(formbody);

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof LeadlineError) {
      request.log.info({ code: error.code }, error.message);
      if (error instanceof TooManyRequestsError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
      }
      return reply
        .code(error.statusCode)
        .send({ error: { code: error.code, message: error.message } });
    }
    const err = error as {
      validation?: unknown;
      statusCode?: number;
      code?: string;
      message: string;
    };
    if (err.validation || (err.statusCode && err.statusCode < 500)) {
      return reply
        .code(err.statusCode ?? 400)
        .send({ error: { code: err.code ?? 'BAD_REQUEST', message: err.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .send({ error: { code: 'INTERNAL', message: 'Internal error; see the service log' } });
  });

  app.get('/healthz', async () => ({ status: 'ok', publicBaseUrl: deps.publicBaseUrl }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await deps.db.query('SELECT 1');
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'PostgreSQL unreachable' });
    }
    if (deps.isReady && !deps.isReady()) return reply.code(503).send({ status: 'starting' });
    return { status: 'ready' };
  });
  // One limit of wrong API keys per client address, shared by /metrics and /api/v1.
  const authFailures = new AuthFailureLimiter(
    deps.authFailures ?? loadConfig(process.env).authFailures,
    { onOutcome: (outcome) => deps.metrics?.recordAuthFailure(outcome) },
  );
  if (deps.metrics) {
    serveMetrics(app, {
      metrics: deps.metrics,
      db: deps.db,
      operatorApiKey: deps.operatorApiKey,
      authFailures,
    });
  }

  if (deps.publicRoutes === false) return app;
  await securityHeaders(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Leadline API',
        version: '1',
        description:
          'Read API of the owner dashboard and the consent ledger. Bearer API key: `leadline keys create`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    // Only the JSON API is documented; Twilio's webhooks and the unsubscribe page are not.
    transform: ({ schema, url }) =>
      url.startsWith('/api/v1/') ? { schema, url } : { schema: { ...schema, hide: true }, url },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/v1/docs',
    uiHooks: { onRequest: docsSecurity },
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(twilioWebhooks, {
    prefix: '/twilio',
    log: deps.log,
    db: deps.db,
    clock: deps.clock,
    authToken: deps.webhookAuthToken,
    publicBaseUrl: deps.publicBaseUrl,
  });
  await app.register(unsubscribePage, { db: deps.db, log: deps.log, clock: deps.clock });
  await app.register(dashboardPage);
  await app.register(readApi, {
    prefix: '/api/v1',
    db: deps.db,
    log: deps.log,
    clock: deps.clock,
    dashboardChanges: deps.dashboardChanges,
    operatorApiKey: deps.operatorApiKey,
    authFailures,
  });
  return app;
}
