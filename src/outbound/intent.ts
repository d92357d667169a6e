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
  /**
   * Send within this many ms of the cause or not at all (withheld as `expired`): the opt-out
   * confirmation (FCC 24-24 / 47 CFR 64.1200(a)(12): within 5 minutes). Absent: no limit.
   */
  sendWithinMs?: number;
}
