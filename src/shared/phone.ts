import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { ValidationError } from './errors.ts';
import { memoiseByText } from './memo.ts';

/** A phone number in E.164 form, e.g. `+14165550123`. */
export type E164 = string & { readonly __brand: 'E164' };

/**
 * Normalises a phone number to E.164 (ITU-T E.164, as Twilio writes `From` and `To`).
 *
 * Accepts E.164 or a national number in `defaultCountry` (North America by default).
 * Uses libphonenumber's metadata, so `+1 555 …` fictional numbers (NANP 555-01XX) are
 * accepted as Twilio's test numbers are.
 *
 * @throws ValidationError (`INVALID_PHONE_NUMBER`) naming the value when it is not a phone number.
 */
export function toE164(raw: string, defaultCountry: CountryCode = 'US'): E164 {
  const e164 = parsedE164(`${defaultCountry}:${raw.trim()}`);
  if (!e164) {
    throw new ValidationError(
      `"${raw}" is not a phone number; write it in E.164 form, e.g. +14165550123`,
      'INVALID_PHONE_NUMBER',
    );
  }
  return e164;
}

/**
 * `<country>:<text>` → the number in E.164, or '' when it is not a possible phone number.
 * Remembered (`memoiseByText`): libphonenumber's parse was the largest share of a webhook's
 * own CPU, and webhooks name the same numbers again and again.
 */
const parsedE164 = memoiseByText(
  (key): E164 | '' => {
    const colon = key.indexOf(':');
    const parsed = parsePhoneNumberFromString(
      key.slice(colon + 1),
      key.slice(0, colon) as CountryCode,
    );
    return parsed?.isPossible() ? (parsed.number as E164) : '';
  },
  { maxEntries: 20_000, maxTextLength: 40 },
);

/** Like {@link toE164} but returns `undefined` instead of throwing. */
export function tryE164(raw: string | undefined): E164 | undefined {
  if (!raw) return undefined;
  try {
    return toE164(raw);
  } catch {
    return undefined;
  }
}

/**
 * Masks a phone number for logs: keeps the country code and last two digits
 * (`+14165550123` → `+1*******23`). Never log a full number.
 */
export function maskPhone(value: string): string {
  const digits = value.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '***';
  const parsed = parsePhoneNumberFromString(digits);
  const cc = parsed ? `+${parsed.countryCallingCode}` : digits.slice(0, 2);
  return `${cc}${'*'.repeat(Math.max(3, digits.length - cc.length - 2))}${digits.slice(-2)}`;
}

/**
 * Phone-number-like text: an optional `+`, then digits and separators (space, dot, dash,
 * parentheses), not glued to a letter, digit, `-`, `.` or `:` on either side (so not the
 * tail of a UUID, a host name or a port).
 */
const PHONE_LIKE = /(?<![\w.:-])\+?\d[\d\s().-]{5,}\d(?![\w:-])/g;
/** Text that is phone-shaped but is not a number: an IPv4 address, an ISO date or time. */
const NOT_A_PHONE = [/^\d{1,3}(\.\d{1,3}){3}$/, /^\d{4}-\d{2}-\d{2}/, /^\d{2}:\d{2}/];

/**
 * Masks every phone-number-like run inside free text (error messages quoting a `To`, say):
 * `The 'To' number +14165550123 is not valid` → `The 'To' number +1********23 is not valid`.
 * A run counts when it holds 7 to 15 digits (E.164 allows 15; ITU-T E.164 §6) and is not an
 * IPv4 address or an ISO date: `listening at http://127.0.0.1:3999` stays as it is.
 */
export function maskPhonesIn(text: string): string {
  return text.replace(PHONE_LIKE, (match) => {
    const digits = match.replace(/\D/g, '').length;
    if (digits < 7 || digits > 15 || NOT_A_PHONE.some((shape) => shape.test(match))) return match;
    return maskPhone(match);
  });
}

/**
 * Formats an E.164 number for people: national format at home (`(416) 555-0123`),
 * international otherwise; a value that is not a phone number comes back as it is.
 */
export function formatForPeople(value: string, home: CountryCode = 'US'): string {
  return formattedForPeople(`${home}:${value}`);
}

/**
 * `<home country>:<number>` → the number as {@link formatForPeople} writes it. Remembered
 * (`memoiseByText`): the texts a processor decides name the same callers again and again, and
 * libphonenumber's parse and format were its largest share of CPU in a replay.
 */
const formattedForPeople = memoiseByText(
  (key): string => {
    const colon = key.indexOf(':');
    const value = key.slice(colon + 1);
    const parsed = parsePhoneNumberFromString(value);
    if (!parsed) return value;
    return parsed.country === key.slice(0, colon) || parsed.countryCallingCode === '1'
      ? parsed.formatNational()
      : parsed.formatInternational();
  },
  { maxEntries: 20_000, maxTextLength: 40 },
);
