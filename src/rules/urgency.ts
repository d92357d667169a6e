import { normaliseText } from './normalise-text.ts';

/** How an owner alert about a lead's text is headed. */
export type Urgency = 'EMERGENCY' | 'STANDARD';

/**
 * Signs of a plumbing emergency: active water damage, sewage, gas, loss of heat, or the
 * customer saying so. Drawn from what plumbers treat as same-day call-outs.
 */
const EMERGENCY_PATTERNS: RegExp[] = [
  /\bburst(ed|ing)?\b/,
  /\bflood(ed|ing|s)?\b/,
  /\bwater (is )?(everywhere|all over|pouring|gushing|spraying|coming through)\b/,
  /\b(leak|leaking|dripping)\b.*\b(ceiling|light fixture|electrical|outlet)\b/,
  /\bsewage\b|\bsewer\b.*\b(back(ed|ing)? up|overflow)\b|\braw sewage\b/,
  /\b(smell(s|ing)? (of )?gas|gas (smell|leak)|smell gas)\b/,
  /\bno heat\b|\bheat(ing)? (is )?(out|not working|off)\b|\bboiler\b.*\b(dead|out|not working)\b/,
  /\boverflow(ing|ed)?\b/,
  /\bfrozen pipes?\b/,
  /\b(backing|backed) up into\b/,
  /\bemergency\b|\burgent(ly)?\b|\basap\b|\bright now\b|\bright away\b/,
];

/** Phrases that say it is not urgent; they win over any sign above. */
const NOT_URGENT =
  /\b(not|no|isn'?t|is not) (an? )?(emergency|urgent|rush)\b|\bno rush\b|\bno hurry\b|\bwhenever\b|\bnext week\b|\b(a|for) (quote|estimate)\b/;

/**
 * Classifies a lead's text for the owner alert's heading (pure). EMERGENCY for any sign of
 * active damage, sewage, gas, no heat, or an explicit "emergency/urgent/asap", unless the
 * text says it is not urgent ("not an emergency", "no rush", "quote for next week").
 */
export function classifyUrgency(body: string): Urgency {
  const text = normaliseText(body);
  if (NOT_URGENT.test(text)) return 'STANDARD';
  return EMERGENCY_PATTERNS.some((pattern) => pattern.test(text)) ? 'EMERGENCY' : 'STANDARD';
}
