/**
 * A processor's decision to send one text. It becomes an `outbound_messages` row; the sender
 * does the sending. `dedupeKey` is derived from the cause (e.g. `<CallSid>:missed-call-text`)
 * so replays and duplicate events can never send twice (design §4).
 */
export interface OutboundIntent {
  dedupeKey: string;
  audience: 'lead' | 'owner';
  /** Why it is sent: `missed-call-text`, `owner-alert`, `opt-out-confirmation`, `help`, `acknowledgement`, … */
  purpose: string;
  /** E.164 recipient. */
  to: string;
  /** E.164 sender: the tenant's Twilio number. */
  from: string;
  body: string;
  /**
   * True for texts that consent does not gate: alerts to the owner, the one confirmation of
   * an opt-out, and the HELP answer (CTIA Messaging Principles §5.1).
   */
  consentExempt: boolean;
}
