/** One text to send. */
export interface SmsRequest {
  to: string;
  from: string;
  body: string;
  /** Where Twilio posts `MessageStatus` updates. */
  statusCallback?: string;
}

/** A text the provider accepted. */
export interface AcceptedSms {
  messageSid: string;
  status: string;
}

/**
 * Why a send failed. `permanent` failures (Twilio 4xx such as 21211 invalid `To`, 21610
 * unsubscribed recipient) are not retried; the rest (network errors, 429, 5xx) are.
 */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** Twilio error code (e.g. `21610`) or an HTTP status, when known. */
    readonly code: string | null,
    /**
     * True when the request may have reached Twilio and been accepted (timeout, connection
     * reset, 5xx): a retry must first ask Twilio whether the text went out.
     */
    readonly uncertain = false,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}

/** The port to the SMS provider. Only the outbound sender uses it. */
export interface SmsTransport {
  /**
   * Sends one text.
   * @throws SmsSendError on refusal or failure.
   */
  send(request: SmsRequest): Promise<AcceptedSms>;
  /**
   * Looks for a text already accepted with the same `to`, `from` and `body` since `since`:
   * asked before re-sending an attempt whose outcome is unknown (the process died mid-send).
   */
  findSent(request: SmsRequest, since: Date): Promise<AcceptedSms | undefined>;
}
