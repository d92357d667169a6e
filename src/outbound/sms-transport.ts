/** One text to send. */
export interface SmsRequest {
  /** Recipient, E.164 (`+14165550199`). */
  to: string;
  /** Sender: the tenant's Twilio number, E.164. */
  from: string;
  /** The exact text, as the recipient gets it. */
  body: string;
  /** Where Twilio posts `MessageStatus` updates. */
  statusCallback?: string;
}

/** A text the provider accepted. */
export interface AcceptedSms {
  /** Twilio's Message SID (`SM…`). */
  messageSid: string;
  /** Twilio's status when last seen (`accepted`, `queued`, `sent`, `delivered`, …). */
  status: string;
}

/** A text found in the provider's history by {@link SmsTransport.findSent}. */
export interface SentSms extends AcceptedSms {
  /** When the provider created it (Twilio's `date_created`: UTC, whole seconds). */
  createdAt: Date;
}

/** What {@link SmsTransport.findSent} looks for. */
export interface SentSmsQuery {
  /** Recipient, E.164: exact match. */
  to: string;
  /** Sender, E.164: exact match. */
  from: string;
  /** Exact match, character for character. */
  body: string;
  /** The earliest creation instant (UTC, inclusive) a match may have; older history is not read. */
  since: Date;
  /**
   * When to give up reading (UTC, against the wall clock): no page request is started after
   * it; {@link SmsSendError} (`uncertain`) is thrown instead, so that the caller neither
   * re-sends nor outlives its claim. A request in flight may still take one request timeout.
   */
  deadline: Date;
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
   * Every text the provider accepted from `from` to `to` with exactly `body`, created at or
   * after `since`, oldest first (several when identical texts went out): asked before
   * re-sending an attempt whose outcome is unknown (the process died mid-send, or the request
   * timed out). Reads the provider's whole history back to `since`, however many pages that
   * takes, and only as far as that.
   * @throws SmsSendError on failure, always `uncertain` (nothing is known about the attempt):
   *   the provider refused or failed the request, was unreachable, or `deadline` passed.
   */
  findSent(query: SentSmsQuery): Promise<SentSms[]>;
}
