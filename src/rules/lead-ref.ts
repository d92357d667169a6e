import { createHash } from 'node:crypto';

/**
 * A lead's short reference, as owner alerts carry it (`#4821`) and staff texts name a lead
 * with it (pure): 1000 + the first 32 bits (big-endian) of sha256(`<tenantId>:<phone>`),
 * mod 9000, so four digits, stable for the lead forever and the same on every machine. The
 * dashboard projection writes it into `dashboard_leads.ref` when it makes a lead's row; rows
 * made before migration `20261129090000000_dashboard-leads-ref-written.sql` hold the same
 * value computed in SQL (`test/int/lead-ref.test.ts`). Two leads of a tenant may share one;
 * a staff text naming a shared reference is answered with help, never guessed.
 */
export function leadRef(tenantId: string, phone: string): string {
  const digest = createHash('sha256').update(`${tenantId}:${phone}`).digest();
  return String(1000 + (digest.readUInt32BE(0) % 9000));
}

/**
 * The `#code` a staff text starts with, and the message after it (pure). A code is `#`
 * then 4 to 15 digits: a lead reference (`#4821`) or a phone number's digits
 * (`#6475550123`). Without one, `code` is null and `message` is the whole text, trimmed.
 */
export function parseRelayText(body: string): { code: string | null; message: string } {
  const match = /^\s*#\s?(\d{4,15})\b[\s:,.-]*/.exec(body);
  if (!match) return { code: null, message: body.trim() };
  return { code: match[1]!, message: body.slice(match[0].length).trim() };
}
