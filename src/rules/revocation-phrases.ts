import { normaliseText } from './normalise-text.ts';

/**
 * Revocation "by any reasonable means" (FCC 24-24, Report and Order of 2024-02-15, 47 CFR
 * 64.1200(a)(10), in force since 2025-04-11): a consumer may revoke consent in their own words,
 * and a text that clearly asks to stop *being messaged* must be honoured like STOP.
 *
 * The patterns require the request to be about messages or contact ("stop texting me",
 * "remove me from your list", "don't text this number"), so that a plumbing complaint that
 * contains the word stop ("my toilet won't stop running", "can you stop by tomorrow?") is not an
 * opt-out. Unclear texts are left to the owner, who sees every text in the alert.
 */
const REVOCATION_PATTERNS: RegExp[] = [
  /\bstop (texting|messaging|sending|contacting|calling|spamming)\b/,
  /\b(do ?n[o']?t|never) (text|message|contact|sms)( me| us| this number)?\b/,
  /\bno more (texts|messages|sms)\b/,
  /\b(remove|delete|take) (me|us|this number|my number)\b.*\b(list|contacts?|database|system|texts?|messages?)\b/,
  /\b(remove|take) me off\b/,
  /^\W*remove me\W*$/,
  /\b(unsubscribe|opt) me( out)?\b/,
  /\bopt[- ]?out\b/,
  /\bleave me alone\b/,
  /\bwrong number\b.*\bstop\b|\bstop\b.*\bwrong number\b/,
];

/** Opt-out words that, with nothing but politeness around them, are a request to stop. */
const SHORT_OPT_OUT_WORDS = new Set(['stop', 'stopall', 'unsubscribe', 'revoke', 'optout', 'quit']);
const POLITENESS = new Set([
  'please',
  'pls',
  'plz',
  'now',
  'thanks',
  'thank',
  'you',
  'ty',
  'ok',
  'okay',
  'asap',
]);

/** Phrases that cancel a revocation reading ("don't stop texting me"). */
const NEGATED = /\b(do ?n[o']?t|never|please don'?t) (stop|remove|unsubscribe)\b/;

/**
 * Whether `body` asks, in the sender's own words, to stop receiving texts. Pure.
 * Complements the exact carrier keywords of `sms-keywords.ts`.
 */
export function isRevocationRequest(body: string): boolean {
  const text = normaliseText(body);
  if (NEGATED.test(text)) return false;
  if (REVOCATION_PATTERNS.some((pattern) => pattern.test(text))) return true;
  // "STOP please", "please stop", "stop stop", "Unsubscribe please": opt-out words and
  // politeness only. ("stop by tomorrow" keeps words of its own and is not an opt-out.)
  const words = text
    .replace(/[^a-z ]/g, ' ')
    .split(' ')
    .filter(Boolean);
  const meaningful = words.filter((w) => !POLITENESS.has(w));
  return (
    meaningful.length > 0 &&
    meaningful.length <= 3 &&
    meaningful.every((w) => SHORT_OPT_OUT_WORDS.has(w))
  );
}
