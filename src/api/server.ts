import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Wakeups } from '../db/wakeups.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import { AuthFailureLimiter, type AuthFailureLimits } from '../auth/auth-failure-limiter.ts';
import { LeadlineError, TooManyRequestsError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { LeadlineMetrics } from '../telemetry/metrics.ts';
import { serveMetrics } from '../telemetry/metrics-endpoint.ts';
import { dashboardPage } from './dashboard-page.ts';
import { readApi } from './read-api.ts';
import type { RecordingSource } from '../outbound/twilio-recordings.ts';
import { docsSecurity, securityHeaders } from './security-headers.ts';
import { unsubscribePage } from './unsubscribe-page.ts';
import { twilioWebhooks, type TwilioWebhookDeps } from './twilio-webhooks.ts';
import { withDeadline } from '../shared/faults.ts';

/**
 * What the Twilio webhook routes need beyond the server's own dependencies (see
 * `twilio-webhooks.ts`): the log as webhooks append to it (spooling while the log is
 * unreachable), memory-backed routing, consent gate and call steps, and the account they belong to.
 */
export type WebhookDeps = Pick<
  TwilioWebhookDeps,
  | 'log'
  | 'accountSid'
  | 'unsignedPerMinute'
  | 'tenants'
  | 'consentGate'
  | 'callSteps'
  | 'reach'
  | 'defer'
>;

/** What the HTTP server needs. */
export interface ServerDeps {
  log: EventLog;
  /** The webhook routes' dependencies (absent for the worker role, which serves none). */
  webhooks?: WebhookDeps;
  /**
   * Which client addresses may name the real client in `X-Forwarded-For` (Fastify's
   * `trustProxy`: true, false, or comma-separated addresses, CIDRs, `loopback`). Rate limits
   * key on the client address, so only a proxy of yours may set it. Default `loopback`.
   */
  trustProxy?: boolean | string;
  /** What waits in the webhook spool, reported by `/readyz`. */
  intakeStatus?: () => { entries: number; oldestSeconds: number };
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
   * Wrong API keys allowed per client address and window on `/api/v1` and `/metrics`
   * (`LEADLINE_AUTH_FAILURE_LIMIT` / `_WINDOW_MS`). Absent: 20 per 60 s.
   */
  authFailures?: AuthFailureLimits;
  /** Voicemail audio from Twilio for `/api/v1/leads/{phone}/voicemails/{sid}`; absent: none. */
  recordings?: RecordingSource;
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
    trustProxy: deps.trustProxy ?? 'loopback',
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
    const spool = deps.intakeStatus?.();
    try {
      await withDeadline(deps.db.query('SELECT 1'), 2_000, 'readiness probe');
    } catch {
      return reply
        .code(503)
        .send({ status: 'unavailable', reason: 'PostgreSQL unreachable', spool });
    }
    if (deps.isReady && !deps.isReady()) return reply.code(503).send({ status: 'starting', spool });
    return { status: 'ready', spool };
  });
  // One limit of wrong API keys per client address, shared by /metrics and /api/v1.
  const authFailures = new AuthFailureLimiter(
    deps.authFailures ?? { limit: 20, windowMs: 60_000 },
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
  if (deps.webhooks) {
    await app.register(twilioWebhooks, {
      ...deps.webhooks,
      prefix: '/twilio',
      db: deps.db,
      clock: deps.clock,
      logger: deps.logger,
      authToken: deps.webhookAuthToken,
      publicBaseUrl: deps.publicBaseUrl,
      onRefused: (route, reason) => deps.metrics?.recordWebhookRefused(route, reason),
    });
  }
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
    recordings: deps.recordings,
  });
  return app;
}
