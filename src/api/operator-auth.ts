import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../shared/errors.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires `Authorization: Bearer <OPERATOR_API_KEY>` (compared in constant time).
 * Roles and per-tenant keys come with the read API (issue 6); this is the operator key.
 * @throws UnauthorizedError (401) when the key is missing or wrong.
 */
export function requireOperatorKey(request: FastifyRequest, operatorKey: string): void {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match || !timingSafeEqual(digest(match[1]!), digest(operatorKey))) {
    throw new UnauthorizedError();
  }
}
