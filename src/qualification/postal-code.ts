/**
 * Canadian postal codes (Canada Post, "Addressing guidelines": `A1A 1A1`; D, F, I, O, Q and
 * U never appear, and W and Z never first) and their forward sortation area alone (`M4C`).
 */
const CANADIAN = /\b([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])[ -]?(\d[ABCEGHJ-NPRSTV-Z]\d)\b/i;
const FSA_ALONE = /(?:^|[\s,(])([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(?=$|[\s,.)!?])/i;
/**
 * A US ZIP code (USPS Publication 28): five digits, optionally `-` and four more. A house
 * number is five digits too, so a ZIP must not be followed by a word (the street's name).
 */
const US_ZIP = /\b(\d{5})(?:-\d{4})?\b(?!\s*[,-]?\s*[A-Za-z])/;

/**
 * The postal code in a text (pure): Canadian as `A1A 1A1` (upper case, one space) or the FSA
 * alone, a US ZIP as its ZIP5, or null. A full Canadian code wins over an FSA, and either
 * over a ZIP.
 */
export function readPostalCode(body: string): string | null {
  const canadian = CANADIAN.exec(body);
  if (canadian) return `${canadian[1]} ${canadian[2]}`.toUpperCase();
  const fsa = FSA_ALONE.exec(body);
  if (fsa?.[1]) return fsa[1].toUpperCase();
  const zip = US_ZIP.exec(body);
  return zip?.[1] ?? null;
}

/**
 * Whether `postalCode` lies inside a service area given as postal-code prefixes (`M4C`,
 * `M4`, ZIP3 `021`, ZIP5 `02139`; case and spaces ignored). An empty area serves everywhere.
 */
export function insideServiceArea(postalCode: string, area: readonly string[]): boolean {
  if (area.length === 0) return true;
  const code = postalCode.replace(/\s+/g, '').toUpperCase();
  return area.some((prefix) => code.startsWith(prefix.replace(/\s+/g, '').toUpperCase()));
}
