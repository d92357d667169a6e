/**
 * Longest text value kept from one Twilio webhook parameter (characters). Twilio's longest
 * real value is an inbound `Body`: 1,600 characters (Twilio, "Messaging webhooks"; longer
 * texts arrive as several messages); longer values are cut here.
 */
export const MAX_PARAMETER_CHARS = 1_600;

/**
 * Makes one webhook value safe to store (pure): NUL becomes U+FFFD (PostgreSQL `jsonb`
 * refuses `\u0000`, SQLSTATE 22P05, and a text must never be lost to it), lone surrogates
 * become U+FFFD (`toWellFormed`; invalid UTF-8 already decodes to U+FFFD), and the value is
 * cut to {@link MAX_PARAMETER_CHARS}. Other control characters are kept: jsonb escapes them.
 */
export function sanitizeText(value: string): string {
  const cut = value.length > MAX_PARAMETER_CHARS ? value.slice(0, MAX_PARAMETER_CHARS) : value;
  return cut.replaceAll('\u0000', '\uFFFD').toWellFormed();
}

/**
 * A webhook's parsed form body with every string value sanitised ({@link sanitizeText}),
 * duplicated keys (arrays) included; run after the signature check, which must see the
 * values exactly as Twilio signed them. Returns a new object with a null prototype.
 */
export function sanitizeParams(body: unknown): Record<string, unknown> {
  const clean: Record<string, unknown> = Object.create(null);
  if (typeof body !== 'object' || body === null) return clean;
  for (const [key, value] of Object.entries(body)) {
    clean[key] =
      typeof value === 'string'
        ? sanitizeText(value)
        : Array.isArray(value)
          ? value.map((v) => (typeof v === 'string' ? sanitizeText(v) : v))
          : value;
  }
  return clean;
}
