import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { OutboundIntent } from '../../outbound/intent.ts';
import { copy } from '../../rules/message-copy.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import type { LeadState } from './state.ts';

/** The decision for one event: texts to send. */
export interface LeadDecision {
  intents: OutboundIntent[];
}

const nothing: LeadDecision = { intents: [] };

/**
 * Decides what to send in answer to one event of a lead's stream (pure: state before the
 * event, the event, the tenant). The rules (design §7):
 *
 * - Missed call (`DialMissed`, or a `CallReceived` after hours): one text to the caller
 *   (unless opted out) and one alert to the owner, keyed by `CallSid`. Never for a call
 *   already answered, whatever order callbacks arrive in.
 * - Opt-out keyword: one confirmation, only on the change from subscribed (texts already
 *   queued are withheld by the sender's send-time consent check).
 * - Opt-in keyword after an opt-out: one confirmation.
 * - HELP: the business name, contact and how to opt out.
 * - Any other text: one acknowledgement (unless opted out) and one owner alert.
 */
export function decide(
  state: LeadState,
  event: RecordedLeadlineEvent,
  tenant: Tenant,
): LeadDecision {
  const toLead = (key: string, purpose: string, body: string, consentExempt = false) => ({
    dedupeKey: key,
    audience: 'lead' as const,
    purpose,
    to: leadPhoneOf(event),
    from: tenant.twilioNumber,
    body,
    consentExempt,
  });
  const toOwner = (key: string, body: string) => ({
    dedupeKey: key,
    audience: 'owner' as const,
    purpose: 'owner-alert',
    to: tenant.ownerPhone,
    from: tenant.twilioNumber,
    body,
    consentExempt: true,
  });

  const missedCall = (callSid: string, caller: string, reason: string): LeadDecision => {
    if (state.calls[callSid] === 'answered' || state.calls[callSid] === 'missed') return nothing;
    const at = new Date(event.occurredAt);
    const intents: OutboundIntent[] = [];
    if (!state.optedOut) {
      intents.push(
        toLead(`${callSid}:missed-call-text`, 'missed-call-text', copy.missedCallText(tenant)),
      );
    }
    intents.push(
      toOwner(
        `${callSid}:owner-alert`,
        copy.missedCallAlert(tenant, caller, at, !state.optedOut, reason),
      ),
    );
    return { intents };
  };

  switch (event.type) {
    case 'CallReceived':
      if (event.data.action !== 'after-hours-notice') return nothing;
      if (state.calls[event.data.callSid] === 'after-hours') return nothing;
      return missedCall(event.data.callSid, event.data.from, 'after hours');
    case 'DialMissed':
      return missedCall(event.data.callSid, leadPhoneOf(event), event.data.dialCallStatus);
    case 'SmsInbound': {
      const { messageSid, body, keyword, from } = event.data;
      if (keyword === 'opt-out') {
        if (state.optedOut) return nothing;
        return {
          intents: [
            toLead(
              `${messageSid}:opt-out-confirmation`,
              'opt-out-confirmation',
              copy.optOutConfirmation(tenant),
              true,
            ),
          ],
        };
      }
      if (keyword === 'opt-in' && state.optedOut) {
        return {
          intents: [
            toLead(
              `${messageSid}:opt-in-confirmation`,
              'opt-in-confirmation',
              copy.optInConfirmation(tenant),
              true,
            ),
          ],
        };
      }
      if (keyword === 'help') {
        return { intents: [toLead(`${messageSid}:help`, 'help', copy.help(tenant), true)] };
      }
      const intents: OutboundIntent[] = [];
      if (!state.optedOut) {
        intents.push(
          toLead(`${messageSid}:acknowledgement`, 'acknowledgement', copy.acknowledgement(tenant)),
        );
      }
      intents.push(
        toOwner(`${messageSid}:owner-alert`, copy.messageAlert(from, body, state.optedOut)),
      );
      return { intents };
    }
    default:
      return nothing;
  }
}

/** The lead's phone: the last segment of `lead:<tenantId>:<E.164>`. */
function leadPhoneOf(event: RecordedLeadlineEvent): string {
  return event.streamId.slice(event.streamId.lastIndexOf(':') + 1);
}
