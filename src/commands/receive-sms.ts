import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import type { LeadlineEvent } from '../events/catalogue.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { classifyKeyword } from '../rules/sms-keywords.ts';
import type { CommandDeps } from './command-deps.ts';

/** An inbound text as Twilio reports it to `POST /twilio/sms`. */
export interface IncomingSms {
  messageSid: string;
  from: E164;
  to: E164;
  body: string;
  numMedia: number;
  mediaUrls: string[];
}

/**
 * Decides which facts an inbound text establishes (pure): always `SmsInbound`; an opt-out
 * keyword also `ConsentRevoked` (effective at once: it is in the same append), an opt-in
 * keyword also express `ConsentGranted` (CTIA: START / UNSTOP / YES re-subscribe).
 */
export function decideInboundSms(
  tenant: Tenant,
  sms: IncomingSms,
  deps: Pick<CommandDeps, 'clock' | 'traceparent'>,
): LeadlineEvent[] {
  const keyword = classifyKeyword(sms.body);
  const common = {
    streamId: leadStreamId(tenant.tenantId, sms.from),
    tenantId: tenant.tenantId,
    idempotencyKey: sms.messageSid,
    correlationId: sms.messageSid,
    traceparent: deps.traceparent ?? null,
  };
  const inbound = newEvent(
    {
      ...common,
      type: 'SmsInbound',
      data: {
        messageSid: sms.messageSid,
        from: sms.from,
        to: sms.to,
        body: sms.body,
        numMedia: sms.numMedia,
        mediaUrls: sms.mediaUrls,
        keyword,
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
            data: { phone: sms.from, channel: 'keyword', text: sms.body, evidence },
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
  return consequence ? [inbound, consequence] : [inbound];
}

/** Handles `POST /twilio/sms` for a known tenant: records the facts in one atomic append. */
export async function receiveSms(
  tenant: Tenant,
  sms: IncomingSms,
  deps: CommandDeps,
): Promise<void> {
  await deps.log.append(decideInboundSms(tenant, sms, deps));
}
