import type { ConsentAnswer } from '../consent/index.ts';
import type { EventData } from '../events/catalogue.ts';
import { NON_TRANSACTIONAL_PURPOSES, quietHoursDeferral } from '../rules/quiet-hours.ts';
import type { BusinessHours } from '../tenants/tenant.ts';

/** What the send decision needs to know about one queued text (an `outbound_messages` row). */
export interface SendIntent {
  audience: 'lead' | 'owner';
  /** `missed-call-text`, `review-request`, `owner-alert`, `opt-out-confirmation`, … */
  purpose: string;
  /** Not gated by consent: owner alerts, the one opt-out confirmation, HELP (CTIA §5.1). */
  consentExempt: boolean;
  /** Past this instant the text is withheld as `expired` (the opt-out confirmation); null: no limit. */
  notAfter: Date | null;
  /** A solicitation to a customer: waits for daytime in their zone (TCPA 47 CFR 64.1200(c)(1)). */
  respectsQuietHours: boolean;
  /** Twilio already accepted an earlier attempt (`message_sid` is set); only recording failed. */
  accepted: boolean;
  /** An earlier attempt's outcome is unknown (timed out, or its claimer vanished mid-send). */
  uncertain: boolean;
}

/** Where a solicitation's recipient is and when texts may reach them. */
export interface QuietHoursFacts {
  /** The customer's IANA zones (from the area code, else the tenant's zone). */
  timezones: string[];
  /** The tenant's allowed local window (default 08:00-21:00). */
  allowed: BusinessHours;
}

/** The tenant's daily cap for the text's audience and what it has sent today. */
export interface QuotaFacts {
  /** Texts already sent to this audience on the tenant-local day. */
  sent: number;
  /** `daily_quota` for customers, `owner_alert_cap` for the owner. */
  cap: number;
  /** The tenant-local day, `YYYY-MM-DD`. */
  day: string;
}

/**
 * What the sender looked up before deciding (I/O done, answers only). A fact is gathered only
 * when {@link factsNeeded} says so; leave the others undefined.
 */
export interface SendFacts {
  /** `live` only with a transport (Twilio credentials); otherwise nothing leaves the machine. */
  mode: 'live' | 'dry-run';
  /** The consent module's answer for the number at the moment of sending (`consentFor`). */
  consent?: ConsentAnswer;
  /** Null when the tenant is unknown (no deferral). */
  quietHours?: QuietHoursFacts | null;
  /** Null when the tenant is unknown (no cap). */
  quota?: QuotaFacts | null;
}

/** Why a text is not sent, as `OutboundSmsWithheld` records it. */
export type WithholdReason = EventData<'OutboundSmsWithheld'>['reason'];

/** The send decision: send now, withhold for good (with why), or wait until an instant. */
export type SendDecision =
  | { kind: 'send' }
  | { kind: 'withhold'; reason: WithholdReason; detail: string | null }
  | { kind: 'defer'; reason: 'quiet-hours'; until: Date; timezones: string[] };

/** A non-transactional text to a lead: needs consent valid at the moment of sending. */
const solicitation = (intent: SendIntent): boolean =>
  intent.audience === 'lead' && NON_TRANSACTIONAL_PURPOSES.has(intent.purpose);

/** No attempt has been made yet: nothing accepted, nothing uncertain. */
const fresh = (intent: SendIntent): boolean => !intent.accepted && !intent.uncertain;

/**
 * Which facts {@link decideSend} needs for `intent` in `mode` (pure), so the sender looks up
 * only those:
 * - `consent`: a text to a lead that consent gates, or a non-transactional one
 *   (`rules/quiet-hours.ts`);
 * - `quietHours`: a first attempt at a solicitation to a lead;
 * - `quota`: a first attempt in live mode that the rules do not require (texts to the owner
 *   count too; a consent-exempt text to a lead, an opt-out confirmation or HELP, does not).
 */
export function factsNeeded(
  intent: SendIntent,
  mode: SendFacts['mode'],
): { consent: boolean; quietHours: boolean; quota: boolean } {
  const lead = intent.audience === 'lead';
  return {
    consent: (lead && !intent.consentExempt) || solicitation(intent),
    quietHours: lead && intent.respectsQuietHours && fresh(intent),
    quota: mode === 'live' && fresh(intent) && !(lead && intent.consentExempt),
  };
}

/**
 * Whether the consent answer alone withholds `intent` (pure): a text consent gates, to a
 * number opted out, or a solicitation consent does not allow now (checks 1 and 2 of
 * {@link decideSend}). The sender then looks up nothing more: an opted-out lead's text is
 * withheld even while the quota or the tenant's zones cannot be read.
 */
export function consentWithholds(intent: SendIntent, consent: ConsentAnswer): boolean {
  const gated = intent.audience === 'lead' && !intent.consentExempt;
  return (gated && consent.optedOut) || (solicitation(intent) && !consent.maySolicit);
}

function fact<K extends keyof SendFacts>(facts: SendFacts, key: K): NonNullable<SendFacts[K]> {
  const value = facts[key];
  if (value === undefined) throw new Error(`decideSend: the fact "${key}" was not gathered`);
  return value as NonNullable<SendFacts[K]>;
}

/**
 * Whether a queued text goes out now (pure). The checks, in order, the first that objects
 * deciding:
 * 1. a text consent gates, to a number opted out (`ConsentAnswer.optedOut`) → withhold
 *    `consent-revoked` (STOP stops queued texts; CTIA, FCC 24-24 revocation by any
 *    reasonable means);
 * 2. a non-transactional text that consent does not allow now (`maySolicit`: express or
 *    unexpired implied consent on the ledger) → withhold `no-valid-consent`, with the
 *    consent answer's reason as detail (CASL s.6, s.10);
 * 3. a first attempt past `notAfter` → withhold `expired` (opt-out confirmation within 5
 *    minutes, 47 CFR 64.1200(a)(12));
 * 4. a first attempt at a solicitation outside the allowed hours in any of the customer's
 *    zones → defer until the first minute inside them (TCPA 47 CFR 64.1200(c)(1));
 * 5. dry-run mode → withhold `dry-run`;
 * 6. a first attempt, not required by the rules, once the tenant's daily cap for the audience
 *    is reached → withhold `quota-exceeded`;
 * otherwise send. A retried attempt (accepted or uncertain) is never expired, deferred or
 * capped: it may already have gone out.
 * @throws Error when a fact {@link factsNeeded} asks for is missing, or (from
 *   `quietHoursDeferral`) when the allowed window never holds in all zones within 48 hours.
 */
export function decideSend(intent: SendIntent, facts: SendFacts, now: Date): SendDecision {
  const needs = factsNeeded(intent, facts.mode);
  const withhold = (reason: WithholdReason, detail: string | null = null): SendDecision => ({
    kind: 'withhold',
    reason,
    detail,
  });
  const gated = intent.audience === 'lead' && !intent.consentExempt;
  if (gated && fact(facts, 'consent').optedOut) return withhold('consent-revoked');
  if (solicitation(intent)) {
    const consent = fact(facts, 'consent');
    if (!consent.maySolicit) return withhold('no-valid-consent', consent.reason);
  }
  if (fresh(intent) && intent.notAfter && now > intent.notAfter) return withhold('expired');
  if (needs.quietHours) {
    const hours = fact(facts, 'quietHours');
    const until = hours && quietHoursDeferral(now, hours.timezones, hours.allowed);
    if (hours && until) {
      return { kind: 'defer', reason: 'quiet-hours', until, timezones: hours.timezones };
    }
  }
  if (facts.mode === 'dry-run') return withhold('dry-run');
  if (needs.quota) {
    const quota = fact(facts, 'quota');
    if (quota && quota.sent >= quota.cap) return withhold('quota-exceeded');
  }
  return { kind: 'send' };
}

/**
 * How long (ms) after it was queued a text found without valid consent may wait for the consent
 * ledger to take in what came before it: 5 minutes. Beyond that a ledger still behind is an
 * operator's matter (its lag shows in `leadline status`), and the text is decided on what the
 * ledger holds.
 */
export const LEDGER_CATCH_UP_MS = 300_000;

/**
 * How soon (ms) a text waiting for the consent ledger is looked at again (pure): a quarter of
 * how long it has waited, from 500 ms to 30 s. A ledger a moment behind (the usual case) is
 * caught up with at once; one far behind, or a Kafka log that is rarely without lag, costs a
 * few dozen looks over the 5 minutes, not 600.
 * @param queuedForMs how long ago the text was queued (ms)
 */
export function ledgerRecheckMs(queuedForMs: number): number {
  return Math.min(30_000, Math.max(500, Math.round(queuedForMs / 4)));
}

/**
 * Whether a text the decision withholds for `no-valid-consent` may first wait for the consent
 * ledger (pure): consent given just before the text was asked for (the owner records the job,
 * then asks for a review a moment later) reaches the ledger through its projection, and a
 * sender that looked too early would withhold the text for good. It may wait while it is
 * younger than {@link LEDGER_CATCH_UP_MS}; the sender then waits only if the ledger has not
 * reached the event that caused the text (`EventLog.hasReached`), and once it has, reads
 * consent again before deciding. Nothing is sent meanwhile: consent is still required at the
 * moment of sending (CASL s.6(1)).
 * @param queuedForMs how long ago the text was queued (ms, by one clock: the database's)
 */
export function mayAwaitLedger(decision: SendDecision, queuedForMs: number): boolean {
  return (
    decision.kind === 'withhold' &&
    decision.reason === 'no-valid-consent' &&
    queuedForMs < LEDGER_CATCH_UP_MS
  );
}

/**
 * Whether the text gets a one-click unsubscribe link before it is sent, deferred or withheld
 * (pure): a non-transactional text to a lead that consent did not stop. The link is added once
 * and kept in the row, so every later attempt and every recorded event carries it.
 */
export function carriesUnsubscribeLink(intent: SendIntent, decision: SendDecision): boolean {
  const stoppedByConsent =
    decision.kind === 'withhold' &&
    (decision.reason === 'consent-revoked' || decision.reason === 'no-valid-consent');
  return (
    intent.audience === 'lead' &&
    NON_TRANSACTIONAL_PURPOSES.has(intent.purpose) &&
    !stoppedByConsent
  );
}
