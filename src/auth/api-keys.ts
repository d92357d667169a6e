import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { NotFoundError, ValidationError } from '../shared/errors.ts';

/** What an API key may do (see `src/auth/access.ts`). */
export type Role = 'operator' | 'auditor' | 'tenant';

/** Who is calling: the role of their key, and its tenant for `tenant` keys. */
export interface Principal {
  role: Role;
  /** Set for `tenant` keys only. */
  tenantId: string | null;
  /** The key's id, or `env` for `OPERATOR_API_KEY`. */
  keyId: string;
}

/** An API key as listed (never the key itself). */
export interface ApiKeyInfo {
  keyId: string;
  role: Role;
  tenantId: string | null;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * Creates a key: `ll_<keyId>_<secret>` (keyId 12 hex chars, secret 32 random bytes in
 * base64url). Only its SHA-256 is stored.
 * @returns the key, to be shown once, and its id.
 * @throws ValidationError (`INVALID_ROLE`) when a `tenant` key has no tenant or another role
 *   has one.
 */
export async function createApiKey(
  db: pg.Pool,
  input: { role: Role; tenantId?: string | null; label?: string | null },
): Promise<{ key: string; keyId: string }> {
  const tenantId = input.tenantId ?? null;
  if ((input.role === 'tenant') !== (tenantId !== null)) {
    throw new ValidationError(
      input.role === 'tenant'
        ? 'a tenant key needs --tenant <id>'
        : `an ${input.role} key is not tied to a tenant; drop --tenant`,
      'INVALID_ROLE',
    );
  }
  const keyId = randomBytes(6).toString('hex');
  const key = `ll_${keyId}_${randomBytes(32).toString('base64url')}`;
  await db.query(
    'INSERT INTO api_keys (key_id, role, tenant_id, label, key_sha256) VALUES ($1, $2, $3, $4, $5)',
    [keyId, input.role, tenantId, input.label ?? null, sha256(key)],
  );
  return { key, keyId };
}

/**
 * The principal a presented key belongs to, or undefined when it is unknown, revoked or
 * malformed. Compared in constant time against the stored hash.
 */
export async function findPrincipal(
  db: pg.Pool,
  presented: string,
): Promise<Principal | undefined> {
  const match = /^ll_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}$/.exec(presented);
  if (!match) return undefined;
  const { rows } = await db.query<{ role: Role; tenant_id: string | null; key_sha256: Buffer }>(
    'SELECT role, tenant_id, key_sha256 FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL',
    [match[1]],
  );
  const row = rows[0];
  if (!row || !timingSafeEqual(row.key_sha256, sha256(presented))) return undefined;
  return { role: row.role, tenantId: row.tenant_id, keyId: match[1]! };
}

/** Every key, newest first. */
export async function listApiKeys(db: pg.Pool): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<{
    key_id: string;
    role: Role;
    tenant_id: string | null;
    label: string | null;
    created_at: Date;
    revoked_at: Date | null;
  }>(
    'SELECT key_id, role, tenant_id, label, created_at, revoked_at FROM api_keys ORDER BY created_at DESC',
  );
  return rows.map((r) => ({
    keyId: r.key_id,
    role: r.role,
    tenantId: r.tenant_id,
    label: r.label,
    createdAt: r.created_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
  }));
}

/**
 * Revokes a key at once (idempotent).
 * @throws NotFoundError (`KEY_NOT_FOUND`) when no key has that id.
 */
export async function revokeApiKey(db: pg.Pool, keyId: string): Promise<void> {
  const { rowCount } = await db.query(
    'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1',
    [keyId],
  );
  if (!rowCount) throw new NotFoundError(`no API key has id "${keyId}"`, 'KEY_NOT_FOUND');
}
