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
const FRENCH = new RegExp(
  `\\b\\d{1,6}[a-z]?,?\\s+(?:${FRENCH_TYPES})\\s+(?:(?:de la|du|des|de|d'|l')\\s*)?[\\p{L}'.-]+(?:[\\s-]+(?!(?:app|apt|appartement|unit[ée]|qc|québec|quebec|on|nb|montr[ée]al|laval|gatineau|longueuil|sherbrooke|moncton|ottawa)\\b)[\\p{Lu}\\p{Ll}'-]+){0,2}?(?=$|[\\s,.;!?]|\\s+\\d)`,
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
  return found[0]
    .replace(/[\s,.;]+$/, '')
    .trim()
    .slice(0, 120);
}
