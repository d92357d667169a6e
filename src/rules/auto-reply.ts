import { normaliseText } from './normalise-text.ts';

/**
 * Automatic replies that must be recorded and never answered, so that two machines cannot text
 * each other forever: iOS/Android driving modes, out-of-office and carrier/app auto-responders.
 * Matched on their fixed wording.
 */
const AUTO_REPLY_PATTERNS: RegExp[] = [
  /\bi'?m driving\b/, // iOS Driving Focus: "I'm driving with Driving Focus turned on…"
  /\bdriving (focus|mode)\b|\bdo not disturb while driving\b/,
  /\bauto[- ]?(reply|response|responder)\b|\bautomatic (reply|response)\b/,
  /\bout of (the )?office\b/,
  /\bthis is an automated (message|reply|response)\b/,
  /\bi'?ll (see|get back to) your message when i\b/,
];

/** Whether `body` is an automatic reply (pure). */
export function isAutoReply(body: string): boolean {
  const text = normaliseText(body);
  return AUTO_REPLY_PATTERNS.some((pattern) => pattern.test(text));
}
