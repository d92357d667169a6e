import twilio from 'twilio';

/** A response from a Leadline webhook. */
export interface WebhookResponse {
  status: number;
  body: string;
}

/**
 * Posts webhooks to a Leadline instance exactly as Twilio does: form-encoded parameters with
 * Twilio's names, an `X-Twilio-Signature` computed with Twilio's own
 * `getExpectedTwilioSignature` over `signingBaseUrl` + path (the public URL Twilio would have
 * called), and an `I-Twilio-Idempotency-Token`. Used by `leadline simulate` and the tests.
 */
export class TwilioWebhookClient {
  constructor(
    /** Where to send requests, e.g. `http://127.0.0.1:3000`. */
    private readonly targetBaseUrl: string,
    /** What signatures are computed over: the service's `PUBLIC_BASE_URL`. */
    private readonly signingBaseUrl: string,
    private readonly authToken: string,
  ) {}

  /** Signature Twilio would send for `pathAndQuery` with `params`. */
  sign(pathAndQuery: string, params: Record<string, string>): string {
    return twilio.getExpectedTwilioSignature(
      this.authToken,
      this.signingBaseUrl + pathAndQuery,
      params,
    );
  }

  /**
   * POSTs `params` to `pathAndQuery`. `signature: null` omits the header; a string replaces it.
   * @throws TypeError when the service cannot be reached.
   */
  async post(
    pathAndQuery: string,
    params: Record<string, string>,
    options: { signature?: string | null; idempotencyToken?: string } = {},
  ): Promise<WebhookResponse> {
    const signature =
      options.signature === undefined ? this.sign(pathAndQuery, params) : options.signature;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      'i-twilio-idempotency-token': options.idempotencyToken ?? crypto.randomUUID(),
    };
    if (signature !== null) headers['x-twilio-signature'] = signature;
    const response = await fetch(this.targetBaseUrl + pathAndQuery, {
      method: 'POST',
      headers,
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, body: await response.text() };
  }

  /**
   * Converts an absolute action URL from TwiML (which carries the public base URL) into the
   * path and query to post to.
   */
  relativeTo(actionUrl: string): string {
    const url = new URL(actionUrl.replaceAll('&amp;', '&'), this.signingBaseUrl);
    return url.pathname + url.search;
  }
}

/** Twilio-style parameters of an inbound voice call webhook. */
export function voiceCallParams(call: {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
}): Record<string, string> {
  return {
    AccountSid: call.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.callSid,
    CallStatus: 'ringing',
    Called: call.to,
    Caller: call.from,
    Direction: 'inbound',
    From: call.from,
    FromCountry: 'US',
    To: call.to,
    ToCountry: 'US',
  };
}

/** Twilio-style parameters of the `<Dial action>` callback for that call. */
export function dialActionParams(
  call: { callSid: string; accountSid: string; from: string; to: string },
  dialCallStatus: string,
  durationSeconds = 0,
): Record<string, string> {
  return {
    ...voiceCallParams(call),
    CallStatus: 'in-progress',
    DialCallStatus: dialCallStatus,
    DialCallSid: `CA${call.callSid.slice(2, 10)}d${call.callSid.slice(11)}`,
    DialCallDuration: String(durationSeconds),
    DialBridged: String(dialCallStatus === 'completed'),
  };
}

/**
 * Twilio-style parameters of a `<Gather action>` callback on that call (`digits` '' when no
 * key was pressed). For the screening whisper, pass the child leg's `CallSid`.
 */
export function gatherParams(
  call: { callSid: string; accountSid: string; from: string; to: string },
  digits: string,
): Record<string, string> {
  return {
    ...voiceCallParams(call),
    CallStatus: 'in-progress',
    Digits: digits,
    FinishedOnKey: '',
  };
}

/**
 * Twilio-style parameters of an inbound SMS webhook. Attachments (`media`, making it an MMS)
 * go as Twilio sends them: `NumMedia`, then `MediaUrl{N}` and `MediaContentType{N}` for each.
 */
export function inboundSmsParams(sms: {
  messageSid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  media?: Array<{ url: string; contentType: string }>;
}): Record<string, string> {
  const media = sms.media ?? [];
  return {
    AccountSid: sms.accountSid,
    ApiVersion: '2010-04-01',
    Body: sms.body,
    From: sms.from,
    FromCountry: 'US',
    MessageSid: sms.messageSid,
    NumMedia: String(media.length),
    ...Object.fromEntries(
      media.flatMap((m, i) => [
        [`MediaUrl${i}`, m.url],
        [`MediaContentType${i}`, m.contentType],
      ]),
    ),
    NumSegments: '1',
    SmsMessageSid: sms.messageSid,
    SmsSid: sms.messageSid,
    SmsStatus: 'received',
    To: sms.to,
    ToCountry: 'US',
  };
}
