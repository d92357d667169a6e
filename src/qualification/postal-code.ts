/**
 * Canadian postal codes (Canada Post, "Addressing guidelines": `A1A 1A1`; D, F, I, O, Q and
 * U never appear, and W and Z never first) and their forward sortation area alone (`M4C`).
 */
const CANADIAN = /\b([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])[ -]?(\d[ABCEGHJ-NPRSTV-Z]\d)\b/i;
const FSA_ALONE = /(?:^|[\s,(])([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(?=$|[\s,.)!?])/i;
/** USPS two-letter state and territory codes (Publication 28, appendix B). */
const US_STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|VI|GU';
/**
 * A US ZIP code (USPS Publication 28): five digits, optionally `-` and four more. Five digits
 * alone are an invoice, an order or a house number as often as a ZIP, so a ZIP is read only
 * after a state code (`Boston MA 02139`), after the word "zip", or in ZIP+4 form.
 */
const US_ZIP = new RegExp(
  `(?:\\b(?:${US_STATES})\\.?,?\\s{1,3}|\\b[Zz][Ii][Pp](?:\\s?[Cc]ode)?:?\\s{0,3}#?)(\\d{5})(?:-\\d{4})?\\b|\\b(\\d{5})-\\d{4}\\b`,
);

/** Five digits (and maybe four more) not followed by a word: a ZIP where one is expected. */
const BARE_ZIP = /\b(\d{5})(?:-\d{4})?\b(?!\s*[,-]?\s*[A-Za-z])/;

/**
 * The postal code in a text (pure): Canadian as `A1A 1A1` (upper case, one space) or the FSA
 * alone, a US ZIP as its ZIP5, or null. A full Canadian code wins over an FSA, and either
 * over a ZIP.
 * @param options.zipExpected the text answers "what's the address or postal/ZIP code?" (or
 *   is a model's postal-code field): five digits alone are read as a ZIP too.
 */
export function readPostalCode(
  body: string,
  options: { zipExpected?: boolean } = {},
): string | null {
  const canadian = CANADIAN.exec(body);
  if (canadian) return `${canadian[1]} ${canadian[2]}`.toUpperCase();
  const fsa = FSA_ALONE.exec(body);
  if (fsa?.[1]) return fsa[1].toUpperCase();
  const zip = US_ZIP.exec(body) ?? (options.zipExpected ? BARE_ZIP.exec(body) : null);
  return zip?.[1] ?? zip?.[2] ?? null;
}

/** True when a postal code is known and lies outside a (non-empty) service area. */
export const outsideServiceArea = (postalCode: string | null, area: readonly string[]): boolean =>
  postalCode !== null && !insideServiceArea(postalCode, area);

/** True for a US ZIP5 (as {@link readPostalCode} gives it), false for a Canadian code. */
export const isZip = (postalCode: string): boolean => /^\d{5}$/.test(postalCode);

/**
 * Whether `postalCode` lies inside a service area given as postal-code prefixes (`M4C`,
 * `M4`, ZIP3 `021`, ZIP5 `02139`; case and spaces ignored). An empty area serves everywhere.
 */
export function insideServiceArea(postalCode: string, area: readonly string[]): boolean {
  if (area.length === 0) return true;
  const code = postalCode.replace(/\s+/g, '').toUpperCase();
  return area.some((prefix) => code.startsWith(prefix.replace(/\s+/g, '').toUpperCase()));
}
