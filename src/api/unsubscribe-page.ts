import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { unsubscribeByLink } from '../commands/unsubscribe-by-link.ts';
import type { EventLog } from '../log/event-log.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import type { Clock } from '../shared/clock.ts';
import { activeTraceparent } from '../telemetry/trace-context.ts';
import { cspHash, pageSecurity } from './security-headers.ts';

/** Requests per minute one client address may make to `/u/<token>`. */
export const UNSUBSCRIBE_RATE_PER_MINUTE = 20;

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE =
  'body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5 }';

const page = (title: string, message: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head>` +
  `<body><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>`;

/** No script at all; only the page's own style; no framing (`security-headers.ts`). */
const UNSUBSCRIBE_SECURITY = pageSecurity({ 'style-src': [cspHash(STYLE)] });

/**
 * `GET /u/<token>`: one-click unsubscribe from a link in a text (issue 5). Works without
 * login, is idempotent, rate-limited per client address ({@link UNSUBSCRIBE_RATE_PER_MINUTE}
 * a minute, 429 beyond), and answers with a plain confirmation page: 200 when unsubscribed
 * (now or before), 404 for a link that was never issued. The page runs no script and cannot
 * be framed (CSP `default-src 'none'`, `frame-ancestors 'none'`, `X-Frame-Options: DENY`).
 */
export async function unsubscribePage(
  app: FastifyInstance,
  deps: { db: pg.Pool; log: EventLog; clock: Clock },
): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    max: UNSUBSCRIBE_RATE_PER_MINUTE,
    timeWindow: '1 minute',
  });
  app.get<{ Params: { token: string } }>(
    '/u/:token',
    {
      config: { rateLimit: { max: UNSUBSCRIBE_RATE_PER_MINUTE, timeWindow: '1 minute' } },
      helmet: UNSUBSCRIBE_SECURITY,
    },
    async (request, reply) => {
      const result = await unsubscribeByLink(request.params.token, {
        db: deps.db,
        log: deps.log,
        clock: deps.clock,
        traceparent:
          activeTraceparent() ?? (request.headers.traceparent as string | undefined) ?? null,
      });
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (result.outcome === 'unknown-link') {
        return reply
          .code(404)
          .send(
            page(
              'Link not recognised',
              'This unsubscribe link is not valid. Reply STOP to any of our texts instead.',
            ),
          );
      }
      const tenant = await tenantDirectory.get(deps.db, result.tenantId);
      const name = tenant?.name ?? 'this business';
      return reply.send(
        page(
          "You're unsubscribed",
          result.outcome === 'unsubscribed'
            ? `You will get no more texts from ${name}. To hear from us again, text START to ${tenant?.twilioNumber ?? 'our number'}.`
            : `You were already unsubscribed from ${name}'s texts. Nothing more to do.`,
        ),
      );
    },
  );
}
