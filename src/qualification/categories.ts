import { normaliseText } from '../rules/normalise-text.ts';
import type { JobCategory } from './model.ts';

/**
 * The words customers use for each job, in English and Canadian French, matched on
 * `normaliseText` (lower case, no accents). Tried in this order: the first category with a
 * match wins, so the dangerous and the specific come before the general ("no hot water" is
 * the water heater, not "no water"; "installer une toilette" is an install, not a toilet
 * repair; a leaking water heater is the water heater).
 */
const CATEGORY_PATTERNS: Array<[JobCategory, RegExp]> = [
  [
    'gas-smell',
    /\b((?<!water )smell(s|ing|ed)? (of |like )?(natural )?(gas|rotten eggs?|sulfur|propane)|gas (smell|leak|odou?r)|odeur (de|d'un?e?) (gaz|oeufs? pourris?)|sent (le|du) gaz|senteur de gaz|fuite de gaz)/,
  ],
  [
    'no-water',
    /\b(no (running )?water (coming|in|at all|anywhere|from|out)|no water\b(?! (pressure|heater|but|backing))|water (is )?(off|shut off|not coming)|nothing (comes )?out of (the|any|my) (tap|faucet)|no pressure at all|well pump|(pas|plus|pu|aucune) d'?eau(?! ?chaude)|pompe (de|du) puits)/,
  ],
  [
    'sewer',
    /\b(sewer|sewage|septic|egouts?|refoul\w*|main (sewer |drain )?(line|stack)|drain principal|roots? (in|into) (the |my )?(line|pipe|drain)|backwater valve|clapet)/,
  ],
  [
    'water-heater',
    /\b(wate?r ?(heater|tank)|watr ?heater|hot ?water|hwt|tankless|pilot( light)?|chauffe[- ]?eau|d?'?eau chaude|reservoir d'?eau|boiler)/,
  ],
  [
    'fixture-install',
    /\b(install\w*|hook ?(it |up)|hookup|put in a new|swap(ped)? (it )?in|ice maker|fridge (water )?line|replac\w* (my |the |our |a |an )?(old )?(kitchen |bathroom )?(faucet|tap|sink|vanity|toilet|dishwasher|disposal|garburator|shower|tub)|new (kitchen |bathroom )?(faucet|tap|sink|vanity|dishwasher|disposal|garburator|shower ?head)|installer|installation|remplac\w* (mon |ma |le |la |notre )?(robinet|evier|lavabo|toilette|vanite)|brancher|poser un)/,
  ],
  ['toilet', /\b(toile?t+e?s?|toliet|tiolet|tolet|commode|bol de toilette|wc)\b/],
  [
    'clog-drain',
    /\b(clog\w*|plugged|blocked|block(age)?|backed up|backing up|slow(ly)? drain\w*|drain\w*|won'?t drain|not draining|snake|bouch\w*|debouch\w*|renvoi|obstru\w*|ne coule pas|s'ecoule pas|se vide (\w+ )?(lentement|mal|pas)|descend (\w+ )?lentement|draine mal)/,
  ],
  [
    'leak',
    /\b(le+ak\w*|lek\w*|drip\w*|burst\w*|pipe (broke|burst|split|cracked)|broken pipe|water (is )?(coming|pouring|everywhere|all over|on the floor|through the ceiling|spraying|gushing|shooting)|water stain|stain on (the |her |his |my |our )?ceiling|fuite?s?|fuit|coule|degats? d'eau|tache d'eau|degoutte|tuyau (perce|fendu|brise|pete))/,
  ],
  [
    'other',
    /\b(sump ?pump|frozen|froze|thaw|backflow|inspect\w*|repip\w*|polybutylene|galvani[sz]ed|lead (service )?(line|pipe)|softener|water filter|gas line|bbq|barbecue|pompe (de|a) puisard|puisard|geles?|gel|adoucisseur|humidifier|sprinkler|outdoor (tap|faucet)|hose bib|radiator|expansion tank|pressure (regulator|valve)|shut ?off valve|valve)/,
  ],
];

/**
 * Texts that say there is no job: a wrong number, not wanting a plumber, or only asking the
 * price. A price question with no problem of the lead's own (no "my"/"our"/"j'ai") is no
 * job either: the README of the labelled set counts it so.
 */
const NOT_A_JOB =
  /\b(wrong (number|person)|mauvais numero|didn'?t ask|do(n'?t|nt|es not) need a plumber|not (for )?a plumb\w*|pas pour une? (job|travail) de plomberie|cherche de l'ouvrage|hiring|engager|just (shopping|asking|wondering|want to know the price)|juste (une question|pour savoir)|compare les prix)\b/;
const PRICE_QUESTION =
  /\b(how much|what do (you|u) charge|what'?s the (price|cost)|(give|send) (me|us) a price|your (rates|prices)|c'?est combien|combien (pour|ca coute|de l'heure|vous chargez)|chargez combien|vos (prix|tarifs))\b/;
const OWN_PROBLEM =
  /\b(my|our|we have|i have|we've got|i've got|i bought|we bought|need (it|a|an|someone|to)|is (completely |totally |really )?(clogged|plugged|blocked|leaking|broken|dripping|running|slow)|mon|ma|mes|notre|nos|j'ai|on a|chez nous|est (\w+ )?(bouche|brise|perce))\b/;

/** True when a text says there is no plumbing job (pure). */
export function saysNoJob(body: string): boolean {
  const text = normaliseText(body);
  return NOT_A_JOB.test(text) || (PRICE_QUESTION.test(text) && !OWN_PROBLEM.test(text));
}

/** A reading of the job: its category and the customer's words for it. */
export interface JobReading {
  category: JobCategory;
  /** The matched words, capitalised (`Burst pipe`), at most 80 characters. */
  summary: string;
}

/**
 * The job a text describes, or null when it names none (pure).
 * @param body a lead's text, any case and accents.
 */
export function readJob(body: string): JobReading | null {
  if (saysNoJob(body)) return null;
  const text = normaliseText(body);
  for (const [category, pattern] of CATEGORY_PATTERNS) {
    const match = pattern.exec(text);
    if (match) return { category, summary: summarise(text, match.index, match[0]) };
  }
  return null;
}

/** Words a summary must not end on ("Pipe burst in"). */
const DANGLING = new Set(
  'in on at under the a an my our to of and but is it from by for with de la le les du des dans sous sur au aux et est un une mon ma'.split(
    ' ',
  ),
);

/** A few words around the match, e.g. "burst" in "i have a burst pipe" → "Burst pipe". */
function summarise(text: string, index: number, matched: string): string {
  const after = text.slice(index + matched.length).match(/^[\w']*(\s+[\w']+)?/)?.[0] ?? '';
  const words = `${matched}${after}`
    .replace(/[^\w' -]/g, ' ')
    .trim()
    .split(/\s+/)
    .slice(0, 4);
  while (words.length > 1 && DANGLING.has(words[words.length - 1] ?? '')) words.pop();
  const phrase = words.join(' ').slice(0, 80);
  return phrase.charAt(0).toUpperCase() + phrase.slice(1);
}
