import { cutText } from '../shared/text.ts';

/**
 * Street addresses inside a customer's text. Address libraries (`parse-address`,
 * `addresser`) split an address already isolated; a text message needs one found first,
 * which is what these do: a civic number, then the street and its type, English order
 * ("45 Elm St W") or French ("123, rue Saint-Denis").
 */
const STREET_TYPES =
  'street|st|avenue|ave|av|road|rd|drive|dr|boulevard|blvd|crescent|cres|court|crt|ct|lane|ln|way|place|pl|terrace|terr?|circle|cir|parkway|pkwy|highway|hwy|trail|trl|square|sq|row|line|sideroad|concession|close|gate|grove|heights|hts|path|point|pt|gardens|gdns|mews|loop|run|walk|crossing|xing';
const DIRECTION = '(?:\\s+(?:north|south|east|west|n|s|e|w|ne|nw|se|sw)\\b\\.?)?';
const UNIT = '(?:(?:unit|apt|apartment|suite|ste|#)\\s*[\\w-]+,?\\s+)?';
const ENGLISH = new RegExp(
  `${UNIT}\\b(?:\\d{1,6}-)?\\d{1,6}[a-z]?\\s+(?:[\\p{L}\\d'.-]+\\s+){0,3}?(?:${STREET_TYPES})\\b\\.?${DIRECTION}`,
  'iu',
);
const FRENCH_TYPES =
  'rue|boulevard|boul\\.?|bd|avenue|av\\.?|chemin|ch\\.|rang|route|rte|place|mont[ée]e|c[ôo]te|croissant|impasse|all[ée]e|promenade|carr[ée]|terrasse|ruelle|rg';
/**
 * A word of a French street name: letters, with hyphens and apostrophes only between letters
 * ("Saint-Denis", "l'Église"), so no two parts of the pattern can take the same characters
 * (a run of hyphens backtracks in linear time, not exponential).
 */
const FRENCH_WORD = "\\p{L}{1,30}(?:['’.-]\\p{L}{1,30}){0,4}\\.?";
const FRENCH_STOP =
  '(?:app|apt|appartement|unit[ée]|qc|québec|quebec|on|nb|montr[ée]al|laval|gatineau|longueuil|sherbrooke|moncton|ottawa)\\b';
const FRENCH = new RegExp(
  `\\b\\d{1,6}[a-z]?,?\\s{1,3}(?:${FRENCH_TYPES})\\s{1,3}(?:(?:de la|du|des|de|d'|l')\\s{0,3})?${FRENCH_WORD}(?:\\s{1,3}(?!${FRENCH_STOP})${FRENCH_WORD}){0,2}?(?=$|[\\s,.;!?])`,
  'iu',
);

/**
 * The street address in a text, as written (without city, province or postal code), or null
 * (pure). At most 120 characters.
 */
export function readAddress(body: string): string | null {
  const text = body.replace(/\s+/g, ' ');
  const english = ENGLISH.exec(text);
  const french = FRENCH.exec(text);
  const found =
    english && french ? (french.index <= english.index ? french : english) : (english ?? french);
  if (!found) return null;
  return cutText(found[0].replace(/[\s,.;]+$/, '').trim(), 120);
}
