import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { timezones as timezonesOfNumber } from 'libphonenumber-geo-carrier';

/**
 * Above this many candidate zones a number says nothing about where its owner is (a
 * non-geographic or fictional NANP code such as 555 or 800 maps to every zone of the plan).
 */
const MAX_GEOGRAPHIC_ZONES = 3;

const cache = new Map<string, string[] | null>();
const CACHE_LIMIT = 10_000;

/**
 * The IANA time zones a phone number (E.164) is in, from its area code (Google
 * libphonenumber's prefix-to-time-zone data, via `libphonenumber-geo-carrier`), or
 * `fallback` (the tenant's zone) when the number does not tell: unknown, non-geographic, or
 * spanning more than {@link MAX_GEOGRAPHIC_ZONES} zones. An area code spanning two or three
 * zones gives them all, so quiet hours hold in each. Lookups are cached in memory.
 */
export async function customerTimeZones(phone: string, fallback: string): Promise<string[]> {
  let zones = cache.get(phone);
  if (zones === undefined) {
    const parsed = parsePhoneNumberFromString(phone);
    const found = parsed ? await timezonesOfNumber(parsed) : null;
    zones = found?.filter(isKnownZone) ?? null;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(phone, zones);
  }
  return zones && zones.length > 0 && zones.length <= MAX_GEOGRAPHIC_ZONES ? zones : [fallback];
}

function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
