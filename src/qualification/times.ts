import * as chrono from 'chrono-node';
import { normaliseText } from '../rules/normalise-text.ts';
import type { Language } from './model.ts';

/** Parts of the day and week that chrono-node does not read as dates ("mornings", "en soirée"). */
const DAY_PARTS =
  /\b((?:weekday|weekend|week ?day)s?(?: (?:morning|afternoon|evening)s?)?|(?:any ?time|anytime)(?: (?:after|before) \d{1,2}(?::\d\d)? ?(?:am|pm)?)?|(?:after|before) \d{1,2}(?::\d\d)? ?(?:am|pm)?|(?:in the )?(?:mornings?|afternoons?|evenings?)|le matin|en matinee|l'apres-midi|en apres-midi|en soiree|le soir|n'importe quand|la fin de semaine|en semaine|apres \d{1,2} ?h(?:\d\d)?|avant \d{1,2} ?h(?:\d\d)?)\b/;

/**
 * The times a text says suit the lead, as short phrases in its words ("tomorrow morning",
 * "after 3"), at most three (pure). Dates are found by chrono-node (English, or French for
 * French texts); parts of the day by the patterns above.
 * @param now the text's time; the reference for "tomorrow".
 */
export function readTimes(body: string, language: Language, now: Date): string[] {
  const parser = language === 'fr' ? chrono.fr : chrono.en;
  const found = parser.parse(body, now, { forwardDate: true }).map((r) => r.text);
  const parts = DAY_PARTS.exec(normaliseText(body));
  if (parts?.[1] && !found.some((f) => normaliseText(f).includes(parts[1] as string))) {
    found.push(parts[1]);
  }
  return [...new Set(found.map((f) => f.trim().toLowerCase().slice(0, 60)))]
    .filter((f) => f.length > 1)
    .slice(0, 3);
}
