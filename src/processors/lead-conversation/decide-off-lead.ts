import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { OutboundIntent } from '../../outbound/intent.ts';
import { copy } from '../../rules/message-copy.ts';
import type { Tenant } from '../../tenants/tenant.ts';

/**
 * The texts an event of a conversation stream that is not a lead's decides (pure): the
 * owner's one alert about a missed call from a withheld number (`call:` streams), and the
 * help text for a staff text that could not be relayed (`staff:` streams). Each is keyed by
 * its Twilio SID, so a redelivered event or a retried webhook sends nothing twice. Neither
 * needs state: a withheld call is missed at most once (after hours at once, in open hours
 * when the `<Dial>` reports a miss), and a staff text is unrouted at most once.
 *
 * - `WithheldCallReceived` after hours: the owner is alerted ("missed call from a withheld
 *   number at 14:32 — they may call back"); nobody is texted, no consent is recorded.
 * - `DialMissed` of a withheld call: the same alert.
 * - `StaffTextUnrouted`: one short help text to the staff phone (how to name a lead); none
 *   for a carrier keyword.
 */
export function decideOffLead(event: RecordedLeadlineEvent, tenant: Tenant): OutboundIntent[] {
  const alert = (callSid: string): OutboundIntent => ({
    dedupeKey: `${callSid}:withheld-alert`,
    audience: 'owner',
    purpose: 'owner-alert',
    to: tenant.ownerPhone,
    from: tenant.twilioNumber,
    body: copy.withheldCallAlert(tenant, new Date(event.occurredAt)),
    consentExempt: true,
  });
  switch (event.type) {
    case 'WithheldCallReceived':
      return event.data.action === 'after-hours-notice' ? [alert(event.data.callSid)] : [];
    case 'DialMissed':
      return event.streamId.startsWith('call:') ? [alert(event.data.callSid)] : [];
    case 'StaffTextUnrouted':
      // A carrier keyword from a staff phone is the carriers' business, not a relay request.
      if (event.data.reason === 'carrier-keyword') return [];
      return [
        {
          dedupeKey: `${event.data.messageSid}:relay-help`,
          audience: 'owner',
          purpose: 'relay-help',
          to: event.data.from,
          from: tenant.twilioNumber,
          body: copy.relayHelp(event.data.reason, event.data.code),
          consentExempt: true,
        },
      ];
    default:
      return [];
  }
}
