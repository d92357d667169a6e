import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { readTenantDashboard } from '../projections/dashboard/dashboard-queries.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { findTenant } from '../commands/register-tenant.ts';
import { requestReview } from '../commands/request-review.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError } from '../shared/errors.ts';
import { requireOperatorKey } from './operator-auth.ts';

/** What the API needs. */
export interface ReadApiDeps {
  db: pg.Pool;
  log: EventLog;
  clock: Clock;
  operatorApiKey: string;
}

/**
 * The API under `/api/v1`. Reads are built only from projections; writes record events.
 * Bearer operator key required.
 *
 * - `GET /api/v1/dashboard` — every tenant with its totals; `?tenant=<id>` — that tenant's
 *   totals and its most recent leads, calls and messages.
 * - `POST /api/v1/review-requests` `{ tenant, phone, note? }` (optional `Idempotency-Key`
 *   header) — after a job, ask the customer for a review; 202 `{ requestId, tenantId, phone }`.
 */
export async function readApi(app: FastifyInstance, deps: ReadApiDeps): Promise<void> {
  app.addHook('onRequest', async (request) => requireOperatorKey(request, deps.operatorApiKey));

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
      const tenantId = request.query.tenant;
      if (tenantId) {
        const tenant = await tenantDirectory.get(deps.db, tenantId);
        if (!tenant) throw new NotFoundError(`No tenant with id "${tenantId}"`, 'TENANT_NOT_FOUND');
        return { tenant, ...(await readTenantDashboard(deps.db, tenantId)) };
      }
      const tenants = await tenantDirectory.list(deps.db);
      return {
        tenants: await Promise.all(
          tenants.map(async (tenant) => ({
            tenant,
            totals: (await readTenantDashboard(deps.db, tenant.tenantId, 0)).totals,
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
      const tenant = await findTenant(deps.db, request.body.tenant);
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
