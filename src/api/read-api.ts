import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { RecordingSource } from '../outbound/twilio-recordings.ts';
import { readTenantDashboard } from '../projections/dashboard/dashboard-queries.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { findTenant } from '../commands/register-tenant.ts';
import { requestReview } from '../commands/request-review.ts';
import type { Wakeups } from '../db/wakeups.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError } from '../shared/errors.ts';
import { authenticate, requireRole, tenantInScope } from '../auth/access.ts';
import { consentApi } from './consent-api.ts';
import { leadsApi } from './leads-api.ts';
import type { Principal } from '../auth/api-keys.ts';
import type { AuthFailureLimiter } from '../auth/auth-failure-limiter.ts';

/** What the API needs. */
export interface ReadApiDeps {
  db: pg.Pool;
  log: EventLog;
  clock: Clock;
  operatorApiKey: string;
  /** Notifications of dashboard changes, for the live stream. */
  dashboardChanges?: Wakeups;
  /** Limits wrong API keys per client address (429 beyond); absent: no limit. */
  authFailures?: AuthFailureLimiter;
  /** Voicemail audio from Twilio (live mode); absent: none. */
  recordings?: RecordingSource;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling (set by the API's authentication hook). */
    principal: Principal | null;
  }
}

/**
 * The API under `/api/v1`. Reads are built only from projections; writes record events.
 * Bearer API key required (`src/auth`): operator keys see everything, tenant keys their own
 * tenant, auditor keys only the consent endpoints. An address that presents too many wrong
 * keys gets 429 with `Retry-After` (`auth/auth-failure-limiter.ts`), a correct key included.
 *
 * - `GET /api/v1/dashboard` — every tenant with its totals; `?tenant=<id>` — that tenant's
 *   totals and its most recent leads, calls and messages.
 * - `POST /api/v1/review-requests` `{ tenant, phone, note? }` (optional `Idempotency-Key`
 *   header) — after a job, ask the customer for a review; 202 `{ requestId, tenantId, phone }`.
 */
export async function readApi(app: FastifyInstance, deps: ReadApiDeps): Promise<void> {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    request.principal = await authenticate(request, deps);
  });
  await consentApi(app, { db: deps.db });
  await leadsApi(app, deps);

  app.get<{ Querystring: { tenant?: string } }>(
    '/dashboard',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { tenant: { type: 'string', minLength: 1 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      requireRole(request.principal!, ['operator', 'tenant']);
      const tenantId = tenantInScope(request.principal!, request.query.tenant);
      if (tenantId) {
        const tenant = await tenantDirectory.get(deps.db, tenantId);
        if (!tenant) throw new NotFoundError(`No tenant with id "${tenantId}"`, 'TENANT_NOT_FOUND');
        return { tenant, ...(await readTenantDashboard(deps.db, tenantId, deps.clock.now())) };
      }
      const tenants = await tenantDirectory.list(deps.db);
      return {
        tenants: await Promise.all(
          tenants.map(async (tenant) => ({
            tenant,
            totals: (await readTenantDashboard(deps.db, tenant.tenantId, deps.clock.now(), 0))
              .totals,
          })),
        ),
      };
    },
  );

  app.post<{ Body: { tenant: string; phone: string; note?: string } }>(
    '/review-requests',
    {
      schema: {
        body: {
          type: 'object',
          required: ['tenant', 'phone'],
          properties: {
            tenant: { type: 'string', minLength: 1, description: 'tenant id or Twilio number' },
            phone: { type: 'string', minLength: 1, description: "the customer's number" },
            note: { type: 'string', maxLength: 500 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      requireRole(request.principal!, ['operator', 'tenant']);
      const tenant = await findTenant(deps.db, request.body.tenant);
      tenantInScope(request.principal!, tenant.tenantId);
      const key = request.headers['idempotency-key'];
      const result = await requestReview(
        tenant,
        {
          phone: request.body.phone,
          requestedBy: 'api',
          note: request.body.note ?? null,
          idempotencyKey: typeof key === 'string' && key ? key : undefined,
        },
        { log: deps.log, clock: deps.clock },
      );
      return reply.code(202).send({ ...result, tenantId: tenant.tenantId });
    },
  );
}
