/** The carrier keyword family a whole inbound message matches. */
export type KeywordFamily = 'opt-out' | 'opt-in' | 'help';

/**
 * Opt-out keywords: Twilio's default set (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, plus
 * REVOKE and OPTOUT added for the FCC's 2025 revocation rule), the two-word "OPT OUT"
 * (FCC 24-24, 47 CFR 64.1200(a)(10): revocation by any reasonable means), and French for
 * Canada (ARRET / ARRÊT, per the CTIA/CWTA short-code guidelines).
 * Source: Twilio, "Twilio support for opt-out keywords (SMS STOP filtering)".
 */
const OPT_OUT = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
  'ARRET',
]);

/** Opt-in keywords (Twilio default: START, YES, UNSTOP). */
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);

/** Help keywords (Twilio default: HELP, INFO; French AIDE). */
const HELP = new Set(['HELP', 'INFO', 'AIDE']);

/**
 * Normalises a message the way carriers match keywords: the whole message, case-, space- and
 * punctuation-insensitive, accents removed (`Arrêt!` → `ARRET`, `opt out` → `OPTOUT`).
 */
export function normaliseKeyword(body: string): string {
  return body
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

/**
 * Which keyword family the whole message `body` is, if any. Only a message that is exactly
 * a keyword counts here ("stop" yes; "my toilet won't stop" no). Opt-out wins over
 * everything else.
 */
export function classifyKeyword(body: string): KeywordFamily | null {
  const word = normaliseKeyword(body);
  if (OPT_OUT.has(word)) return 'opt-out';
  if (OPT_IN.has(word)) return 'opt-in';
  if (HELP.has(word)) return 'help';
  return null;
}
