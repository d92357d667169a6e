/**
 * `text` cut to at most `max` UTF-16 code units without splitting a surrogate pair (an emoji
 * cut in half is a lone surrogate, which PostgreSQL's `jsonb` refuses: "Unicode low surrogate
 * must follow a high surrogate"). Pure; `text` itself is assumed well formed (webhook values
 * are, `api/webhook-text.ts`).
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
