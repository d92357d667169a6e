import type pg from 'pg';
import { newEvent } from '../events/new-event.ts';
import { updateConsentGate } from '../consent/index.ts';
import { inquiryConsent, optedOutBeforeInquiry } from './inquiry-consent.ts';
import type { LeadlineEvent } from '../events/catalogue.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { isAutoReply } from '../rules/auto-reply.ts';
import { isRevocationRequest } from '../rules/revocation-phrases.ts';
import { classifyKeyword, type KeywordFamily } from '../rules/sms-keywords.ts';
import { classifyUrgency } from '../rules/urgency.ts';
import type { CommandDeps } from './command-deps.ts';
import { leadEnvelope } from './lead-envelope.ts';

/** An inbound text as Twilio reports it to `POST /twilio/sms`. */
export interface IncomingSms {
  messageSid: string;
  from: E164;
  to: E164;
  body: string;
  /**
   * Attachments (MMS) in Twilio's order, from `MediaUrl{N}` and `MediaContentType{N}`
   * (N below `NumMedia`); `contentType` null when Twilio gave none.
   */
  media: Array<{ url: string; contentType: string | null }>;
  /** `OptOutType` when the number uses Twilio's Advanced Opt-Out (STOP, START, HELP). */
  optOutType: string | null;
}

/** Keyword family of Twilio's Advanced Opt-Out `OptOutType` values. */
const OPT_OUT_TYPES: Record<string, KeywordFamily> = {
  STOP: 'opt-out',
  START: 'opt-in',
  HELP: 'help',
};

/**
 * The keyword family of a text (pure). Opt-out wins over everything: Twilio's own verdict
 * (`OptOutType`), a carrier keyword, or a request in the sender's own words (FCC "any
 * reasonable means"); then opt-in and help keywords.
 */
export function keywordOf(sms: Pick<IncomingSms, 'body' | 'optOutType'>): {
  family: KeywordFamily | null;
  channel: 'keyword' | 'reasonable-means';
} {
  const twilio = sms.optOutType ? OPT_OUT_TYPES[sms.optOutType.toUpperCase()] : undefined;
  if (twilio) return { family: twilio, channel: 'keyword' };
  const keyword = classifyKeyword(sms.body);
  if (keyword === 'opt-out') return { family: keyword, channel: 'keyword' };
  if (isRevocationRequest(sms.body)) return { family: 'opt-out', channel: 'reasonable-means' };
  return { family: keyword, channel: 'keyword' };
}

/**
 * Decides which facts an inbound text establishes (pure): always `SmsInbound` (with its
 * keyword family, auto-reply flag and urgency); an opt-out (see {@link keywordOf}) also
 * `ConsentRevoked` (effective at once: it is in the same append), an opt-in
 * keyword also express `ConsentGranted` (CTIA: START / UNSTOP / YES re-subscribe); any other
 * text from a person, not opted out (`optedOut`), implied consent from the inquiry
 * (`implied-inquiry`, 6 months).
 */
export function decideInboundSms(
  tenant: Tenant,
  sms: IncomingSms,
  deps: Pick<CommandDeps, 'clock' | 'traceparent'>,
  optedOut = false,
): LeadlineEvent[] {
  const { family: keyword, channel } = keywordOf(sms);
  const common = leadEnvelope(tenant.tenantId, sms.from, sms.messageSid, deps.traceparent);
  const inbound = newEvent(
    {
      ...common,
      type: 'SmsInbound',
      data: {
        messageSid: sms.messageSid,
        from: sms.from,
        to: sms.to,
        body: sms.body,
        media: sms.media,
        keyword,
        optOutType: sms.optOutType,
        autoReply: keyword === null && isAutoReply(sms.body),
        urgency: classifyUrgency(sms.body),
      },
    },
    deps.clock,
  );
  const evidence = { messageSid: sms.messageSid };
  const consequence =
    keyword === 'opt-out'
      ? newEvent(
          {
            ...common,
            type: 'ConsentRevoked',
            causationId: inbound.id,
            data: { phone: sms.from, channel, text: sms.body, evidence },
          },
          deps.clock,
        )
      : keyword === 'opt-in'
        ? newEvent(
            {
              ...common,
              type: 'ConsentGranted',
              causationId: inbound.id,
              data: {
                phone: sms.from,
                basis: 'express',
                source: 'keyword',
                evidence,
                expiresAt: null,
              },
            },
            deps.clock,
          )
        : undefined;
  if (consequence) return [inbound, consequence];
  // An ordinary text is an inquiry: implied consent, unless the number opted out (only an
  // express opt-in undoes that) or a machine sent it.
  if (keyword === null && !isAutoReply(sms.body) && !optedOut) {
    return [inbound, inquiryConsent(tenant, inbound, { messageSid: sms.messageSid }, deps)];
  }
  return [inbound];
}

/**
 * Handles `POST /twilio/sms` for a known tenant: records the facts in one atomic append, then
 * updates the consent gate the sender checks (see `consent-gate.ts`).
 */
export async function receiveSms(
  tenant: Tenant,
  sms: IncomingSms,
  deps: CommandDeps & { db: pg.Pool },
): Promise<void> {
  const optedOut = await optedOutBeforeInquiry(deps, tenant.tenantId, sms.from);
  const events = decideInboundSms(tenant, sms, deps, optedOut);
  await deps.log.append(events);
  await updateConsentGate(deps, events);
}
