import helmet from '@fastify/helmet';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Helmet options of one HTML page (`helmet:` in its route options, or `reply.helmet(…)`): its
 * own Content-Security-Policy, directive → sources; helmet's other headers stay as registered.
 */
export interface PageSecurity {
  contentSecurityPolicy: { useDefaults: false; directives: Record<string, string[]> };
}

/**
 * What every HTML page's Content-Security-Policy starts from: nothing may load, no `<base>`,
 * no form posts anywhere, no plugins, and no framing by any site (clickjacking); each page adds
 * only what it uses.
 */
const PAGE_BASE_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

/**
 * Registers `@fastify/helmet` on `app` for no route by default (`global: false`): the JSON
 * API and Twilio's webhooks are not pages. HTML routes opt in with `helmet:
 * pageSecurity(…)` in their route options, or `reply.helmet(…)` in a hook (the swagger-ui
 * docs). Besides the page's CSP every page gets helmet's defaults: `X-Frame-Options: DENY`
 * (for browsers without `frame-ancestors`), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, `Strict-Transport-Security` (ignored over plain HTTP),
 * `Cross-Origin-Opener-Policy` / `-Resource-Policy: same-origin` and the rest.
 * Register it before the pages' routes: it sees routes through an `onRoute` hook.
 */
export async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * The helmet options of an HTML page whose CSP is {@link PAGE_BASE_DIRECTIVES} plus
 * `directives` (e.g. `{ 'script-src': [cspHash(script)] }`), nothing of helmet's default CSP.
 */
export function pageSecurity(directives: Record<string, string[]>): PageSecurity {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...PAGE_BASE_DIRECTIVES, ...directives },
    },
  };
}

/**
 * A CSP source allowing one inline `<script>` or `<style>` element whose text is exactly
 * `text` (`'sha256-…'`, CSP Level 2): the page keeps its inline code without
 * `'unsafe-inline'`, and any other inline code (an injected script) is refused.
 */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The text of the first `<tag>` element of `html` (`<script>` or `<style>` without
 * attributes), for {@link cspHash}.
 * @throws Error when the page has no such element (a programming error).
 */
export function inlineText(html: string, tag: 'script' | 'style'): string {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html);
  if (!match) throw new Error(`the page has no <${tag}> element`);
  return match[1]!;
}

/**
 * The swagger-ui docs at `/api/v1/docs` (`@fastify/swagger-ui` 6: no inline script; its
 * bundle, styles and the OpenAPI document come from the same origin, its logo as a `data:`
 * image). Swagger UI applies inline styles as it renders, so styles (not scripts) may be
 * inline here; the browser test checks the docs render with nothing refused. Used as its
 * `uiHooks.onRequest`.
 */
export async function docsSecurity(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.helmet(
    pageSecurity({
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
    }),
  );
}
