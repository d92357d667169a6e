import { createHmac } from 'node:crypto';
import type pg from 'pg';

/**
 * The one-click unsubscribe token of a tenant and number (E.164): the first 128 bits of
 * HMAC-SHA256(secret, tenantId + "\n" + phone), base64url (22 characters). The same pair always
 * gets the same token; without the secret no token can be made or guessed.
 */
export function unsubscribeToken(secret: string, tenantId: string, phone: string): string {
  return createHmac('sha256', secret)
    .update(`${tenantId}\n${phone}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

/**
 * Mints the link `<publicBaseUrl>/u/<token>` for a tenant and number, recording the token so
 * the link can be followed (idempotent).
 */
export async function mintUnsubscribeLink(
  db: pg.Pool,
  link: { publicBaseUrl: string; secret: string },
  tenantId: string,
  phone: string,
): Promise<string> {
  const token = unsubscribeToken(link.secret, tenantId, phone);
  await db.query(
    `INSERT INTO unsubscribe_links (token, tenant_id, phone) VALUES ($1, $2, $3)
     ON CONFLICT (token) DO NOTHING`,
    [token, tenantId, phone],
  );
  return `${link.publicBaseUrl}/u/${token}`;
}

/** The tenant and number a token was minted for, if it was. */
export async function followUnsubscribeToken(
  db: pg.Pool,
  token: string,
): Promise<{ tenantId: string; phone: string } | undefined> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(token)) return undefined;
  const { rows } = await db.query<{ tenant_id: string; phone: string }>(
    'SELECT tenant_id, phone FROM unsubscribe_links WHERE token = $1',
    [token],
  );
  return rows[0] && { tenantId: rows[0].tenant_id, phone: rows[0].phone };
}
