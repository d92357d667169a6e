import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.ts';
import type { AuthFailureLimiter } from './auth-failure-limiter.ts';
import { findPrincipal, type Principal, type Role } from './api-keys.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Authenticates `Authorization: Bearer <key>`: a key from `leadline keys create`, or the
 * deployment's `OPERATOR_API_KEY` (compared in constant time), which is an operator. Given
 * `authFailures`, a presented key is checked through it: wrong keys count against the
 * client address (`request.ip`), and an address over the limit is refused unchecked. A
 * request without a key is no guess and is not counted.
 * @throws UnauthorizedError (401) when the key is missing, unknown or revoked;
 *   TooManyRequestsError (429) when the address has presented too many wrong keys.
 */
export async function authenticate(
  request: FastifyRequest,
  deps: { db: pg.Pool; operatorApiKey: string; authFailures?: AuthFailureLimiter },
): Promise<Principal> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) throw new UnauthorizedError();
  const presented = match[1]!;
  const verify = async () =>
    timingSafeEqual(digest(presented), digest(deps.operatorApiKey))
      ? ({ role: 'operator', tenantId: null, keyId: 'env' } satisfies Principal)
      : await findPrincipal(deps.db, presented);
  const principal = deps.authFailures
    ? await deps.authFailures.attempt(request.ip, verify)
    : await verify();
  if (!principal) throw new UnauthorizedError('This API key is not valid (unknown or revoked).');
  return principal;
}

/**
 * Checks the caller's role may use an endpoint.
 * @throws ForbiddenError (403, `FORBIDDEN_ROLE`) naming the roles that may.
 */
export function requireRole(principal: Principal, roles: readonly Role[]): void {
  if (!roles.includes(principal.role)) {
    throw new ForbiddenError(
      `a ${principal.role} key cannot use this endpoint (allowed: ${roles.join(', ')})`,
      'FORBIDDEN_ROLE',
    );
  }
}

/**
 * The tenant a request may act on: a tenant key's own tenant (asking for another is 403), or,
 * for operator and auditor keys, the one asked for.
 * @throws ForbiddenError (403, `FORBIDDEN_TENANT`) when a tenant key asks for another tenant;
 *   UnauthorizedError never.
 */
export function tenantInScope(
  principal: Principal,
  requested: string | undefined,
): string | undefined {
  if (principal.role !== 'tenant') return requested;
  if (requested !== undefined && requested !== principal.tenantId) {
    throw new ForbiddenError("this key may only read its own tenant's data", 'FORBIDDEN_TENANT');
  }
  return principal.tenantId!;
}
