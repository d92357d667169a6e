import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { requireRole, tenantInScope } from '../auth/access.ts';
import { consentAt, consentHistory, exportLedger, parseInstant } from '../consent/index.ts';
import type { Principal } from '../auth/api-keys.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { toE164 } from '../shared/phone.ts';

/**
 * The auditor-facing consent endpoints (issue 5), under `/api/v1/consent`; operator, auditor
 * (any tenant) and tenant (its own) keys.
 *
 * - `GET /consent/{phone}?tenant=` — the number's full history, oldest first, each record with
 *   its evidence, log position and chain hashes (all tenants for operator/auditor keys when
 *   `tenant` is absent).
 * - `GET /consent/{phone}/at?time=&tenant=` — was consent valid at that instant, on which
 *   basis and record, and why (`consent/consent-at.ts`).
 * - `GET /consent/export?tenant=&format=csv|ndjson&from=&to=` — the ledger streamed through a
 *   database cursor (bounded memory), oldest first.
 *
 * Times (`time`, `from`, `to`) are ISO-8601 instants between 2000-01-01 and 2100-12-31
 * (`shared/time-bounds.ts`); anything else is 400 `INVALID_TIME`.
 */
export async function consentApi(app: FastifyInstance, deps: { db: pg.Pool }): Promise<void> {
  const scope = async (principal: Principal, tenant: string | undefined) => {
    requireRole(principal, ['operator', 'auditor', 'tenant']);
    const tenantId = tenantInScope(principal, tenant);
    if (
      tenantId &&
      principal.role !== 'tenant' &&
      !(await tenantDirectory.get(deps.db, tenantId))
    ) {
      throw new NotFoundError(`No tenant with id "${tenantId}"`, 'TENANT_NOT_FOUND');
    }
    return tenantId;
  };

  app.get<{ Querystring: { tenant?: string; format?: string; from?: string; to?: string } }>(
    '/consent/export',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            tenant: { type: 'string', minLength: 1 },
            format: { type: 'string', enum: ['csv', 'ndjson'], default: 'ndjson' },
            from: { type: 'string', description: 'ISO-8601 instant, 2000-01-01 … 2100-12-31' },
            to: { type: 'string', description: 'ISO-8601 instant, 2000-01-01 … 2100-12-31' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const tenantId = await scope(request.principal!, request.query.tenant);
      const from = parseInstant('from', request.query.from);
      const to = parseInstant('to', request.query.to);
      const csv = request.query.format === 'csv';
      const { output, done } = exportLedger(
        await deps.db.connect(),
        { tenantId, from, to },
        csv ? 'csv' : 'ndjson',
      );
      done.catch((error) => request.log.error({ err: error }, 'consent export failed'));
      reply
        .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header(
          'content-disposition',
          `attachment; filename="consent-${tenantId ?? 'all'}.${csv ? 'csv' : 'ndjson'}"`,
        );
      return reply.send(output);
    },
  );

  app.get<{ Params: { phone: string }; Querystring: { tenant?: string } }>(
    '/consent/:phone',
    async (request) => {
      const tenantId = await scope(request.principal!, request.query.tenant);
      const phone = toE164(request.params.phone);
      return {
        phone,
        tenantId: tenantId ?? null,
        records: await consentHistory(deps.db, phone, tenantId),
      };
    },
  );

  app.get<{ Params: { phone: string }; Querystring: { tenant?: string; time?: string } }>(
    '/consent/:phone/at',
    async (request) => {
      const tenantId = await scope(request.principal!, request.query.tenant);
      if (!tenantId) {
        throw new ValidationError('consent is per tenant: give ?tenant=<id>', 'TENANT_REQUIRED');
      }
      const time = parseInstant('time', request.query.time ?? new Date().toISOString())!;
      const phone = toE164(request.params.phone);
      const history = await consentHistory(deps.db, phone, tenantId);
      return { phone, tenantId, time, ...consentAt(history, time) };
    },
  );
}
