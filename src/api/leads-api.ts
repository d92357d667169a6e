import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type pg from 'pg';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { RecordingSource } from '../outbound/twilio-recordings.ts';
import { requireRole, tenantInScope } from '../auth/access.ts';
import { changeLeadStatus, type LeadStatus } from '../commands/change-lead-status.ts';
import { replyToLead } from '../commands/reply-to-lead.ts';
import { requestCallBack } from '../commands/request-call-back.ts';
import type { Wakeups } from '../db/wakeups.ts';
import type { EventLog } from '../log/event-log.ts';
import {
  leadExists,
  voicemailOf,
  periodIn,
  type Period,
  readFunnel,
  readLeads,
  readQueue,
  readSummary,
  readTimeline,
  readLeadQualification,
} from '../projections/dashboard/read-model.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import type { Clock } from '../shared/clock.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { toE164, type E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';

const tenantParam = {
  type: 'string',
  minLength: 1,
  description: 'tenant id (operator keys); a tenant key may omit it',
} as const;
/** Writes that send something need the client's `Idempotency-Key`: a retry sends once. */
const idempotencyKeyHeader = {
  type: 'object',
  required: ['idempotency-key'],
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
} as const;
const tenantOnlyQuery = {
  type: 'object',
  properties: { tenant: tenantParam },
  additionalProperties: false,
} as const;
// Bounds (src/shared/time-bounds.ts): dates 2000-01-01 … 2100-12-31, at most 366 days.
const period = {
  from: {
    type: 'string',
    description: 'first local date, YYYY-MM-DD, 2000-01-01 … 2100-12-31 (default today)',
  },
  to: {
    type: 'string',
    description: 'last local date, YYYY-MM-DD (default `from`); at most 366 days after `from`',
  },
} as const;

/**
 * The owner's read API (issue 6), under `/api/v1`, built from projections: summary, funnel,
 * leads (cursor-paginated), one lead's timeline, the outbound queue, tenants, and the
 * writes an owner makes here, a lead's status and a reply to a lead (only to a lead the
 * tenant has: else 404 `LEAD_NOT_FOUND`, nothing written). Operator keys choose a tenant with `?tenant=`;
 * tenant keys see only their own (another is 403); auditor keys are refused (403).
 */
export async function leadsApi(
  app: FastifyInstance,
  deps: {
    db: pg.Pool;
    log: EventLog;
    clock: Clock;
    dashboardChanges?: Wakeups;
    /** Voicemail audio from Twilio; absent (dry-run, no credentials): 404. */
    recordings?: RecordingSource;
  },
): Promise<void> {
  // Live streams end when the server closes, so shutdown never waits on a browser.
  const openStreams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const out of openStreams) out.end();
  });

  /** The tenant a request is about, after the role and scope checks. */
  async function tenantOf(request: FastifyRequest, requested: string | undefined): Promise<Tenant> {
    requireRole(request.principal!, ['operator', 'tenant']);
    const tenantId = tenantInScope(request.principal!, requested);
    if (!tenantId) throw new ValidationError('give ?tenant=<id>', 'TENANT_REQUIRED');
    const tenant = await tenantDirectory.get(deps.db, tenantId);
    if (!tenant) throw new NotFoundError(`No tenant with id "${tenantId}"`, 'TENANT_NOT_FOUND');
    return tenant;
  }

  /**
   * The tenant and the lead (E.164) a `/leads/:phone/…` write is about. Only the tenant's own
   * leads: a number it never heard from (or another tenant's lead) would get a stream, a
   * status, texts or a call it never earned.
   * @throws NotFoundError (`LEAD_NOT_FOUND`) for a number that is not a lead of the tenant.
   */
  async function ownLead(
    request: FastifyRequest,
    params: { phone: string },
    query: { tenant?: string },
  ): Promise<{ tenant: Tenant; phone: E164 }> {
    const tenant = await tenantOf(request, query.tenant);
    const phone = toE164(params.phone);
    if (!(await leadExists(deps.db, tenant.tenantId, phone))) {
      throw new NotFoundError(`No lead ${phone} for this tenant`, 'LEAD_NOT_FOUND');
    }
    return { tenant, phone };
  }

  app.get(
    '/tenants',
    { schema: { summary: 'Every tenant (operator keys)', tags: ['tenants'] } },
    async (request) => {
      requireRole(request.principal!, ['operator']);
      return { tenants: await tenantDirectory.list(deps.db) };
    },
  );

  /** A `GET` of counts over a period of local dates in the tenant's zone. */
  function periodRoute(
    url: string,
    summary: string,
    read: (db: pg.Pool, tenantId: string, p: Period) => Promise<object>,
  ) {
    app.get<{ Querystring: { tenant?: string; from?: string; to?: string } }>(
      url,
      {
        schema: {
          summary,
          tags: ['dashboard'],
          querystring: {
            type: 'object',
            properties: { tenant: tenantParam, ...period },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const tenant = await tenantOf(request, request.query.tenant);
        const p = periodIn(tenant.timezone, deps.clock.now(), request.query.from, request.query.to);
        return {
          tenantId: tenant.tenantId,
          tenantName: tenant.name,
          timezone: tenant.timezone,
          ...(await read(deps.db, tenant.tenantId, p)),
        };
      },
    );
  }
  periodRoute('/summary', "Counts for a period in the tenant's time zone", readSummary);
  periodRoute('/funnel', 'Missed call → texted → replied → booked, for a period', readFunnel);

  app.get<{
    Querystring: {
      tenant?: string;
      status?: string;
      q?: string;
      outsideArea?: boolean;
      cursor?: string;
      limit?: number;
    };
  }>(
    '/leads',
    {
      schema: {
        summary: 'Leads, most recent contact first, paginated by cursor',
        tags: ['leads'],
        querystring: {
          type: 'object',
          properties: {
            tenant: tenantParam,
            status: { type: 'string', enum: ['new', 'contacted', 'booked', 'lost'] },
            q: { type: 'string', maxLength: 20, description: 'digits of the phone number' },
            outsideArea: {
              type: 'boolean',
              description: "true: only leads outside the tenant's service area; false: the others",
            },
            cursor: { type: 'string', maxLength: 200 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const tenant = await tenantOf(request, request.query.tenant);
      return {
        tenantId: tenant.tenantId,
        ...(await readLeads(deps.db, tenant.tenantId, {
          status: request.query.status,
          search: request.query.q,
          outsideArea: request.query.outsideArea,
          cursor: request.query.cursor,
          limit: request.query.limit ?? 25,
          now: deps.clock.now(),
        })),
      };
    },
  );

  app.get<{ Params: { phone: string }; Querystring: { tenant?: string } }>(
    '/leads/:phone',
    {
      schema: {
        summary:
          "One lead's qualification (job, address, urgency, times, name) and timeline: calls, texts both ways, alerts, consent changes",
        tags: ['leads'],
        querystring: tenantOnlyQuery,
      },
    },
    async (request) => {
      const tenant = await tenantOf(request, request.query.tenant);
      const phone = toE164(request.params.phone);
      const timeline = await readTimeline(deps.db, tenant.tenantId, phone);
      if (timeline.length === 0) {
        throw new NotFoundError(`No lead ${phone} for this tenant`, 'LEAD_NOT_FOUND');
      }
      const qualified = await readLeadQualification(deps.db, tenant.tenantId, phone);
      return {
        tenantId: tenant.tenantId,
        phone,
        qualification: qualified?.qualification ?? null,
        outsideArea: qualified?.outsideArea ?? false,
        timeline,
      };
    },
  );

  app.post<{
    Params: { phone: string };
    Querystring: { tenant?: string };
    Body: { status: LeadStatus; note?: string };
  }>(
    '/leads/:phone/status',
    {
      schema: {
        summary:
          'Move a lead along: contacted, booked or lost (recorded as an event); 404 for a number that is not a lead of the tenant',
        tags: ['leads'],
        querystring: tenantOnlyQuery,
        body: {
          type: 'object',
          required: ['status'],
          properties: {
            status: { type: 'string', enum: ['contacted', 'booked', 'lost'] },
            note: { type: 'string', maxLength: 500 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { tenant, phone } = await ownLead(request, request.params, request.query);
      const result = await changeLeadStatus(
        tenant,
        {
          phone,
          status: request.body.status,
          changedBy: request.principal!.keyId,
          note: request.body.note ?? null,
        },
        { log: deps.log, clock: deps.clock },
      );
      return reply.code(202).send({ ...result, status: request.body.status });
    },
  );

  app.post<{
    Params: { phone: string };
    Querystring: { tenant?: string };
    Body: { body: string };
  }>(
    '/leads/:phone/messages',
    {
      schema: {
        summary:
          'Text a lead from the business number (needs an Idempotency-Key header); automatic texts to the lead stop (human takeover); 409 for a lead who opted out',
        tags: ['leads'],
        querystring: tenantOnlyQuery,
        headers: idempotencyKeyHeader,
        body: {
          type: 'object',
          required: ['body'],
          properties: { body: { type: 'string', minLength: 1, maxLength: 1600 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { tenant, phone } = await ownLead(request, request.params, request.query);
      const result = await replyToLead(
        tenant,
        {
          phone,
          body: request.body.body,
          author: request.principal!.keyId,
          idempotencyKey: request.headers['idempotency-key'] as string,
        },
        { log: deps.log, clock: deps.clock, db: deps.db },
      );
      return reply.code(202).send({ ...result, tenantId: tenant.tenantId, phone });
    },
  );

  app.post<{
    Params: { phone: string };
    Querystring: { tenant?: string };
    Body: { staffPhone?: string } | undefined;
  }>(
    '/leads/:phone/call',
    {
      schema: {
        summary:
          "Call a lead back through the business number (needs an Idempotency-Key header): Twilio rings the staff phone (default the owner's), then connects the lead, who sees the business number",
        tags: ['leads'],
        querystring: tenantOnlyQuery,
        headers: idempotencyKeyHeader,
        body: {
          type: 'object',
          properties: {
            staffPhone: {
              type: 'string',
              maxLength: 20,
              description: "E.164; one of the tenant's phones (default the owner's)",
            },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { tenant, phone } = await ownLead(request, request.params, request.query);
      const result = await requestCallBack(
        tenant,
        {
          phone,
          staffPhone: request.body?.staffPhone,
          requestedBy: request.principal!.keyId,
          idempotencyKey: request.headers['idempotency-key'] as string,
        },
        { log: deps.log, clock: deps.clock },
      );
      return reply.code(202).send({ ...result, tenantId: tenant.tenantId, phone });
    },
  );

  app.get<{ Params: { phone: string; recordingSid: string }; Querystring: { tenant?: string } }>(
    '/leads/:phone/voicemails/:recordingSid',
    {
      schema: {
        summary:
          "A voicemail's audio (MP3), fetched from Twilio with the account's credentials (which never reach the browser); only a voicemail of this tenant's lead",
        tags: ['leads'],
        querystring: tenantOnlyQuery,
        params: {
          type: 'object',
          properties: {
            phone: { type: 'string', maxLength: 20 },
            recordingSid: { type: 'string', pattern: '^RE[0-9a-zA-Z]{8,64}$' },
          },
        },
      },
    },
    async (request, reply) => {
      const { tenant, phone } = await ownLead(request, request.params, request.query);
      const { recordingSid } = request.params;
      if (!(await voicemailOf(deps.db, tenant.tenantId, phone, recordingSid))) {
        throw new NotFoundError(
          `No voicemail ${recordingSid} from this lead`,
          'VOICEMAIL_NOT_FOUND',
        );
      }
      if (!deps.recordings) {
        throw new NotFoundError(
          'recordings are not available without Twilio credentials (dry-run)',
          'RECORDING_UNAVAILABLE',
        );
      }
      const audio = await deps.recordings.open(recordingSid);
      return reply
        .header('content-type', audio.contentType)
        .header('cache-control', 'private, no-store')
        .send(Readable.fromWeb(audio.body as WebReadableStream));
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/queue',
    {
      schema: {
        summary: 'The live outbound queue: pending, deferred by quiet hours, retrying, failed',
        tags: ['dashboard'],
        querystring: tenantOnlyQuery,
      },
    },
    async (request) => {
      const tenant = await tenantOf(request, request.query.tenant);
      return { tenantId: tenant.tenantId, queue: await readQueue(deps.db, tenant.tenantId) };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/stream',
    {
      schema: {
        summary:
          'Server-sent events: `change` whenever the tenant’s dashboard changed (read it again); a comment every 15 s keeps proxies open',
        tags: ['dashboard'],
        querystring: tenantOnlyQuery,
      },
    },
    async (request, reply) => {
      const tenant = await tenantOf(request, request.query.tenant);
      const changes = deps.dashboardChanges;
      if (!changes) throw new ValidationError('live updates are not available here', 'NO_STREAM');
      reply.hijack();
      const out = reply.raw;
      openStreams.add(out);
      out.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      out.write(`event: ready\ndata: ${JSON.stringify({ tenantId: tenant.tenantId })}\n\n`);
      let pending: NodeJS.Timeout | undefined;
      const stop = changes.onPayload((tenantId) => {
        if (tenantId !== tenant.tenantId || pending) return;
        // Coalesce a burst of changes into one event per 200 ms.
        pending = setTimeout(() => {
          pending = undefined;
          out.write(
            `event: change\ndata: ${JSON.stringify({ tenantId, at: deps.clock.now().toISOString() })}\n\n`,
          );
        }, 200);
      });
      const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
      request.raw.on('close', () => {
        openStreams.delete(out);
        stop();
        clearInterval(heartbeat);
        clearTimeout(pending);
      });
    },
  );
}
