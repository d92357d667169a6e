import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { memoiseByText } from '../shared/memo.ts';
import type { E164 } from '../shared/phone.ts';
import { isStaffPhone, type Tenant } from '../tenants/tenant.ts';

/**
 * Numbers Twilio puts in `From` when the network gives no caller ID: each spells a word on a
 * phone keypad (Twilio support, "Why do I see strange numbers like +266696687 in my logs?").
 * They look like E.164 but nobody answers them: never a lead, never texted.
 */
export const TWILIO_PLACEHOLDER_CALLER_IDS: ReadonlyMap<string, string> = new Map([
  ['+266696687', 'ANONYMOUS'],
  ['+86282452253', 'UNAVAILABLE'],
  ['+7378742833', 'RESTRICTED'],
  ['+2562533', 'BLOCKED'],
  ['+8656696', 'UNKNOWN'],
]);

/** E.164: a plus sign, a non-zero first digit, at most 15 digits (ITU-T E.164). */
const E164_SHAPE = /^\+[1-9]\d{6,14}$/;

/**
 * The caller a Twilio webhook's `From` names, when it is a real phone number that can be
 * called and texted back, in E.164; `undefined` otherwise (pure). Twilio writes PSTN callers
 * in E.164, so anything else is not a lead: `Anonymous` and other words, the keypad
 * placeholders above, `sip:…` and `client:…` identities, short codes and alphanumeric sender
 * ids. A number that libphonenumber finds impossible for its country is refused too
 * (`isPossible`, which keeps NANP 555 test numbers).
 */
export function leadCallerId(from: string | undefined): E164 | undefined {
  if (!from) return undefined;
  const raw = from.trim();
  if (!E164_SHAPE.test(raw) || TWILIO_PLACEHOLDER_CALLER_IDS.has(raw)) return undefined;
  return possibleE164(raw) || undefined;
}

/**
 * `raw` (E.164-shaped) when libphonenumber finds it a possible number written exactly so,
 * else ''. Remembered (`memoiseByText`): every webhook asks it of its caller.
 */
const possibleE164 = memoiseByText(
  (raw): E164 | '' => {
    const parsed = parsePhoneNumberFromString(raw);
    return parsed?.isPossible() && parsed.number === raw ? (parsed.number as E164) : '';
  },
  { maxEntries: 20_000, maxTextLength: 16 },
);

/**
 * Who is on the other end of a webhook, for a tenant (pure):
 * - `staff`: a phone of the business itself (`isStaffPhone`: owner, on-call or staff
 *   phone): never a lead, never consent-recorded, never acknowledged;
 * - `lead`: any other real phone number ({@link leadCallerId});
 * - `withheld`: no caller ID anyone can call or text back; `callerId` is what Twilio sent,
 *   trimmed to 64 characters ('' when absent).
 */
export type Caller =
  | { kind: 'lead'; phone: E164 }
  | { kind: 'staff'; phone: E164 }
  | { kind: 'withheld'; callerId: string };

/** Classifies a webhook's `From` for `tenant` (see {@link Caller}). */
export function classifyCaller(tenant: Tenant, from: string | undefined): Caller {
  const phone = leadCallerId(from);
  if (!phone) return { kind: 'withheld', callerId: (from ?? '').trim().slice(0, 64) };
  return isStaffPhone(tenant, phone) ? { kind: 'staff', phone } : { kind: 'lead', phone };
}
