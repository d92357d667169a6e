import type { E164 } from '../shared/phone.ts';

/**
 * Business hours in the tenant's local time: `start` inclusive, `end` exclusive, both
 * `HH:MM` (24-hour). `end` may be `24:00`; an `end` before `start` spans midnight.
 */
export interface BusinessHours {
  start: string;
  end: string;
}

/** A day of the week, as the schedule names it. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A plumbing business using Leadline, as the tenants projection holds it. */
export interface Tenant {
  tenantId: string;
  name: string;
  /** The Twilio number customers call and text (E.164); webhooks are routed by it. */
  twilioNumber: E164;
  /** Rung during business hours; receives alerts (E.164). */
  ownerPhone: E164;
  /** IANA time zone, e.g. `America/Toronto`. */
  timezone: string;
  /** Hours of any weekday without its own entry in {@link weeklyHours}. */
  businessHours: BusinessHours;
  /** Per-weekday hours; `null` closes that weekday; a missing day uses {@link businessHours}. */
  weeklyHours: Partial<Record<Weekday, BusinessHours | null>>;
  /** End of the evening (`HH:MM` local): after closing, calls still ring through. Null: none. */
  eveningUntil: string | null;
  /** Local dates (`YYYY-MM-DD`) the business is closed all day (holidays). */
  closedDates: string[];
  /** The on-call phone for after-hours emergencies (E.164). */
  emergencyPhone: E164 | null;
  /** After hours, offer "press 1 for an emergency" and connect {@link emergencyPhone}. */
  emergencyMode: boolean;
  /**
   * Whisper on the owner's leg ("press 1 to take this call"): only a key press counts as
   * answered, so the owner's voicemail can never swallow a lead.
   */
  callScreening: boolean;
  /** A `completed` dial shorter than this many seconds counts as missed (voicemail); 0: off. */
  voicemailThresholdSeconds: number;
  /** Texts to customers per tenant-local day (cost guard). */
  dailyQuota: number;
  /** Alerts to the owner per tenant-local day. */
  ownerAlertCap: number;
  /** Where happy customers leave a review (https URL); null: good replies get thanks only. */
  reviewLink: string | null;
  /** A lead's texts within this many seconds of each other make one owner alert (0: off). */
  alertDebounceSeconds: number;
  /** The longest a lead's first text waits for its grouped owner alert (seconds). */
  alertMaxWaitSeconds: number;
  /** Local hours (customer's zone) when non-urgent texts may go out; default 08:00-21:00. */
  quietHoursAllowed: BusinessHours;
  /**
   * Phones of the business's people besides {@link ownerPhone} (E.164, at most 50). A call or
   * text from any staff phone (these, the owner's and the on-call phone) is never a lead: a
   * staff text to the business number is relayed to a lead (`commands/receive-staff-text.ts`).
   */
  staffPhones: E164[];
  /**
   * Seconds the automatic missed-call text waits for a person to reply or call back first
   * (0: sent at once). Seed D's call service waits 60 s.
   */
  takeoverWindowSeconds: number;
  /**
   * Once a staff member has replied to or called a lead, automatic texts to that lead stop
   * until the conversation has been quiet this many hours (or `conversations resume`).
   */
  takeoverQuietHours: number;
  /**
   * After the missed-call message, offer the caller to leave a message (`<Record>` with
   * Twilio's transcription). The missed-call text still goes at once.
   */
  voicemail: boolean;
  /**
   * With {@link voicemail}: how long (seconds) a missed call's owner alert waits for the
   * transcript, to carry it; a later transcript follows in one more alert.
   */
  voicemailWaitSeconds: number;
  /**
   * The language customers are texted and spoken to in until they write in another one (a
   * lead who writes in French gets French from then on). Quebec's Charter of the French
   * Language expects French to be offered.
   */
  language: 'en' | 'fr';
  /**
   * Postal-code prefixes the business serves (Canadian FSAs like `M4C`, or their first two
   * characters; US ZIP3s or ZIP5s). Empty: everywhere. A qualified lead outside it is told
   * so once, and the owner's alert is marked OUTSIDE AREA.
   */
  serviceArea: string[];
  /**
   * The most questions the qualifying assistant asks one lead; 0 turns the assistant off (no
   * reading, no questions: a lead's text is acknowledged once per conversation instead).
   */
  qualifyingQuestions: number;
}

/**
 * True when `phone` (E.164) belongs to the business itself: the owner's, the on-call phone
 * or a staff phone. Such a caller or texter is never a lead (pure).
 */
export function isStaffPhone(tenant: Tenant, phone: string): boolean {
  return (
    phone === tenant.ownerPhone ||
    phone === tenant.emergencyPhone ||
    tenant.staffPhones.includes(phone as E164)
  );
}
