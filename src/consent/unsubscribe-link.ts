import { createHmac } from 'node:crypto';
import type pg from 'pg';
import type { LeadlineEvent } from '../events/catalogue.ts';

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

/** A one-click unsubscribe link's token inside a text (`…/u/<22 base64url characters>`). */
const UNSUBSCRIBE_TOKEN = /\/u\/([A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])/;

/**
 * Records the one-click unsubscribe tokens carried by the sent texts among `events` (the
 * `unsubscribe_links` table is not in the log): a restore calls it, so a link a customer
 * received before the backup still works.
 * @returns how many tokens were new.
 */
export async function recordUnsubscribeLinks(
  pool: pg.Pool,
  events: LeadlineEvent[],
): Promise<number> {
  const tokens: string[] = [];
  const tenants: string[] = [];
  const phones: string[] = [];
  for (const event of events) {
    if (event.type !== 'OutboundSmsSent' || !event.tenantId) continue;
    const token = UNSUBSCRIBE_TOKEN.exec(event.data.body)?.[1];
    if (!token) continue;
    tokens.push(token);
    tenants.push(event.tenantId);
    phones.push(event.data.to);
  }
  if (tokens.length === 0) return 0;
  const result = await pool.query(
    `INSERT INTO unsubscribe_links (token, tenant_id, phone)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (token) DO NOTHING`,
    [tokens, tenants, phones],
  );
  return result.rowCount ?? 0;
}
