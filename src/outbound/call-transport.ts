/** A call Leadline asks the provider to place (Twilio Calls API, `POST …/Calls.json`). */
export interface CallRequest {
  /** Who is rung first (E.164): the staff phone. */
  to: string;
  /** Caller ID shown to them (E.164): the business number. */
  from: string;
  /** What the call does once answered: TwiML, at most 4,000 characters (Twilio's limit). */
  twiml: string;
}

/** The provider's answer: the call's SID and its first status (`queued`, …). */
export interface PlacedCall {
  callSid: string;
  status: string;
}

/** The port to the voice provider. Only the call placer (`call-placer.ts`) uses it. */
export interface CallTransport {
  /**
   * Places one outbound call.
   * @throws SmsSendError (the provider's failure, shared with texts: `permanent` for a 4xx,
   *   `uncertain` when the request may have reached the provider).
   */
  placeCall(request: CallRequest): Promise<PlacedCall>;
}
