import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { unsubscribeByLink } from '../commands/unsubscribe-by-link.ts';
import type { EventLog } from '../log/event-log.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import type { Clock } from '../shared/clock.ts';
import { activeTraceparent } from '../telemetry/trace-context.ts';
import { cspHash, pageSecurity } from './security-headers.ts';
import type { Language } from '../qualification/model.ts';
import { unsubscribeCopy } from '../rules/message-copy.ts';

/**
 * The page's language: the one the browser prefers of English and French (`Accept-Language`,
 * first listed wins), else `fallback` (the tenant's).
 */
function pageLanguage(acceptLanguage: string | undefined, fallback: Language): Language {
  for (const part of (acceptLanguage ?? '').split(',').slice(0, 20)) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === 'fr' || tag === 'en') return tag;
  }
  return fallback;
}

/** Requests per minute one client address may make to `/u/<token>`. */
export const UNSUBSCRIBE_RATE_PER_MINUTE = 20;

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE =
  'body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5 }';

const page = (title: string, message: string, lang: Language) =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head>` +
  `<body><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>`;

/** No script at all; only the page's own style; no framing (`security-headers.ts`). */
const UNSUBSCRIBE_SECURITY = pageSecurity({ 'style-src': [cspHash(STYLE)] });

/**
 * `GET /u/<token>`: one-click unsubscribe from a link in a text (issue 5). Works without
 * login, is idempotent, rate-limited per client address ({@link UNSUBSCRIBE_RATE_PER_MINUTE}
 * a minute, 429 beyond), and answers with a plain confirmation page in English or French
 * (the browser's preference, else the tenant's language): 200 when unsubscribed
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
      const accept = request.headers['accept-language'];
      if (result.outcome === 'unknown-link') {
        const lang = pageLanguage(accept, 'en');
        const words = unsubscribeCopy[lang];
        return reply.code(404).send(page(words.unknownTitle, words.unknown, lang));
      }
      const tenant = await tenantDirectory.get(deps.db, result.tenantId);
      const lang = pageLanguage(accept, tenant?.language ?? 'en');
      const words = unsubscribeCopy[lang];
      const name = tenant?.name ?? (lang === 'fr' ? 'cette entreprise' : 'this business');
      const number = tenant?.twilioNumber ?? (lang === 'fr' ? 'notre numéro' : 'our number');
      return reply.send(
        page(
          words.doneTitle,
          result.outcome === 'unsubscribed' ? words.done(name, number) : words.already(name),
          lang,
        ),
      );
    },
  );
}
