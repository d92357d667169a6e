import * as chrono from 'chrono-node';
import { normaliseText } from '../rules/normalise-text.ts';
import type { Language } from './model.ts';
import { cutText } from '../shared/text.ts';
import { readAddress } from './address.ts';

/** Parts of the day and week that chrono-node does not read as dates ("mornings", "en soirée"). */
const DAY_PARTS =
  /\b((?:weekday|weekend|week ?day)s?(?: (?:morning|afternoon|evening)s?)?|(?:any ?time|anytime)(?: (?:after|before) \d{1,2}(?::\d\d)? ?(?:am|pm)?)?|(?:after|before) \d{1,2}(?::\d\d)? ?(?:am|pm)?|(?:in the )?(?:mornings?|afternoons?|evenings?)|le matin|en matinee|l'apres-midi|en apres-midi|en soiree|le soir|n'importe quand|la fin de semaine|en semaine|apres \d{1,2} ?h(?:\d\d)?|avant \d{1,2} ?h(?:\d\d)?)\b/;

/**
 * The times a text says suit the lead, as short phrases in its words ("tomorrow morning",
 * "after 3"), at most three (pure). Dates are found by chrono-node (English, or French for
 * French texts); parts of the day by the patterns above. A street address in the text is
 * left out first, so its civic number is never read as an hour.
 * @param now the text's time; the reference for "tomorrow".
 */
export function readTimes(body: string, language: Language, now: Date): string[] {
  const parser = language === 'fr' ? chrono.fr : chrono.en;
  // A civic number is no time: "at 9 Pine Cres" is an address, not nine o'clock.
  const address = readAddress(body);
  const text = address ? body.replace(address, ' ') : body;
  const found = parser.parse(text, now, { forwardDate: true }).map((r) => r.text);
  const parts = DAY_PARTS.exec(normaliseText(text));
  if (parts?.[1] && !found.some((f) => normaliseText(f).includes(parts[1] as string))) {
    found.push(parts[1]);
  }
  return [...new Set(found.map((f) => cutText(f.trim().toLowerCase(), 60)))]
    .filter((f) => f.length > 1)
    .slice(0, 3);
}
