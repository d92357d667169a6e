import type { E164 } from '../shared/phone.ts';

/**
 * Business hours in the tenant's local time: `start` inclusive, `end` exclusive, both
 * `HH:MM` (24-hour). `end` may be `24:00`; an `end` before `start` spans midnight.
 */
export interface BusinessHours {
  start: string;
  end: string;
}

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
  businessHours: BusinessHours;
  emergencyPhone: E164 | null;
  /** A `completed` dial shorter than this many seconds counts as missed (voicemail); 0: off. */
  voicemailThresholdSeconds: number;
  /** Texts to customers per tenant-local day (cost guard). */
  dailyQuota: number;
  /** Alerts to the owner per tenant-local day. */
  ownerAlertCap: number;
}
