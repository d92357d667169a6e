import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { readTenantDashboard } from '../projections/dashboard/dashboard-queries.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { NotFoundError } from '../shared/errors.ts';
import { requireOperatorKey } from './operator-auth.ts';

/** What the read API needs. */
export interface ReadApiDeps {
  db: pg.Pool;
  operatorApiKey: string;
}

/**
 * The read API under `/api/v1`, built only from projections.
 *
 * `GET /api/v1/dashboard` — every tenant with its totals; `?tenant=<id>` — that tenant's
 * totals and its most recent leads, calls and messages. Bearer operator key required.
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
}
