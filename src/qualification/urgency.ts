import { normaliseText } from '../rules/normalise-text.ts';
import type { JobCategory, JobUrgency } from './model.ts';

/** Said to be not urgent: wins over everything else, but an explicit "this week". */
const NOT_URGENT =
  /\b((is )?not (an? )?(emergency|urgent|rush)|no emergency|not urgent|no rush|no hurry|not in a rush|pas (presse|urgent|d'urgence|de presse|pressant|une urgence)|aucune urgence|rien d'urgent|pas de rush)\b/;
/** A time far enough off, or a planned job, to be flexible. */
const LATER =
  /\b(whenever|any ?time (next|this) (week|month)|next (week|month)|the week of|week of the|in (a|two|2|a couple of) weeks?|quotes?|estimate|planning|remodel|reno(vation)?|when(ever)? (you|it'?s) (can|convenient)|at your convenience|la semaine prochaine|le mois prochain|d'ici la fin du mois|quand vous (pouvez|aurez)|a votre convenance|soumission|estimation)\b/;

/** Damage, danger or loss of service happening now, or said to be an emergency. */
const EMERGENCY =
  /\b(emergency|emergancy|urgent(ly)?|burst\w*|flood\w*|pouring|gushing|spraying|shooting|water (is )?(everywhere|all over)|through the ceiling|ceiling is|light fixture|overflow\w*|right now|right away|immediately|can'?t (turn|shut) (it )?off|can'?t find the (main|shut ?off)|won'?t stop|keeps getting (bigger|worse)|filling (up )?with water|raw sewage|sewage|backing up into|backed up into|urgence|urgent|inond\w*|deborde\w*|coule (partout|encore|toujours)|crev\w*|tout de suite|immediatement|maintenant|degat d'eau|degats d'eau|refoul\w*|pete)\b/;

/** Emergencies spoken of as not (yet) happening: "before it bursts", "pas encore refoulé". */
const NOT_HAPPENING =
  /\b(before it (\w+ )?(bursts?|floods?|overflows?)|(pas encore|not yet|hasn'?t|no water|nothing) (\w+ ){0,2}(refoul\w*|backing up|backed up|overflow\w*|flood\w*|deborde\w*)|(had|was) a flood)\b/g;

/** Wanted within days, without damage happening. */
const SOON =
  /\b(asap|a\.s\.a\.p|as soon as|soon|today|tonight|this (morning|afternoon|evening|week)|tomorrow|tmrw|tmr|quickly|fast|when can you come|(next|within the next) (few|couple( of)?) days|couple (of )?days|by (mon|tues|wednes|thurs|fri|satur|sun)day|before (mon|tues|wednes|thurs|fri|satur|sun)day|aujourd'?hui|ce (matin|soir|midi)|cet apres-midi|demain|cette semaine|vite|rapidement|des que possible|au plus vite|au plus tard|le plus tot|bientot)\b/;

/** Categories that are emergencies whatever the words (gas; no water at all; sewage). */
const ALWAYS_EMERGENCY = new Set<JobCategory>(['gas-smell', 'no-water']);

/**
 * How soon a text says the job is needed, or null when it does not say (pure). A later time
 * or a planned job ("next week", "a quote") is flexible; "not urgent" is too, unless the text
 * names a day this week ("not urgent but this week": soon). Then a gas smell or a house
 * without water is an emergency whatever the words; then signs of an emergency (spoken of as
 * happening: "before it bursts" is not); then "today / tomorrow / asap".
 * @param category the job read from the whole conversation, when known.
 */
export function readUrgency(body: string, category: JobCategory | null): JobUrgency | null {
  const text = normaliseText(body).replace(NOT_HAPPENING, ' ');
  const notUrgent = NOT_URGENT.test(text);
  if (LATER.test(text)) return 'flexible';
  if (notUrgent) return SOON.test(text) ? 'soon' : 'flexible';
  if (category !== null && ALWAYS_EMERGENCY.has(category)) return 'emergency';
  if (EMERGENCY.test(text)) return 'emergency';
  if (SOON.test(text)) return 'soon';
  return null;
}

/**
 * Reads a reply to "how urgent is it?" (pure): the patterns above, then a plain yes (it is
 * urgent: `soon`) or no (`flexible`).
 */
export function readUrgencyAnswer(body: string, category: JobCategory | null): JobUrgency | null {
  const said = readUrgency(body, category);
  if (said) return said;
  const text = normaliseText(body).trim();
  if (/^(yes|yeah|yep|y|oui|ouais|yes please|very)\b/.test(text)) return 'soon';
  if (/^(no|nope|nah|n|non|not really|pas vraiment)\b/.test(text)) return 'flexible';
  return null;
}
