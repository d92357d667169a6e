import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';
import type { CallRequest, CallTransport, PlacedCall } from './call-transport.ts';
import { readSentHistory } from './twilio-history.ts';
import {
  SmsSendError,
  type AcceptedSms,
  type SentSms,
  type SentSmsQuery,
  type SmsRequest,
  type SmsTransport,
} from './sms-transport.ts';

/** Settings of {@link createTwilioTransport}. */
export interface TwilioTransportOptions {
  accountSid: string;
  authToken: string;
  /** Replaces `https://api.twilio.com` (scheme, host and port) in every request, e.g. `http://127.0.0.1:4010`. */
  apiUrl?: string;
  /** Per-request timeout (ms). Default 10000. */
  timeoutMs?: number;
  /** Messages per page when reading Twilio's history (`PageSize`, 1–1000). Default 50, Twilio's. */
  pageSize?: number;
}

/**
 * An `httpClient` for the Twilio SDK that sends every request to `apiUrl` instead of Twilio's
 * hosts: the SDK has no base-URL option (design §9), so this wraps its `RequestClient`.
 */
class RebasingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly base: URL,
    options: ConstructorParameters<typeof twilio.RequestClient>[0],
  ) {
    super(options);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    target.protocol = this.base.protocol;
    target.host = this.base.host;
    target.pathname = this.base.pathname.replace(/\/$/, '') + target.pathname;
    return super.request<TData>({ ...opts, uri: target.toString() });
  }
}

/**
 * The Twilio adapter of {@link SmsTransport} and {@link CallTransport}, through the official
 * `twilio` SDK: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` to send, `GET` of the
 * same list with `To`, `From` and `PageSize`, following `next_page_uri`, to look for an
 * uncertain attempt (see `twilio-history.ts`), and `POST …/Calls.json` with `To`, `From`
 * and `Twiml` to place a call-back.
 */
export function createTwilioTransport(
  options: TwilioTransportOptions,
): SmsTransport & CallTransport {
  const timeout = options.timeoutMs ?? 10_000;
  const httpClient = options.apiUrl
    ? new RebasingRequestClient(new URL(options.apiUrl), { timeout })
    : new twilio.RequestClient({ timeout });
  const client = twilio(options.accountSid, options.authToken, { httpClient });

  return {
    async send(request: SmsRequest): Promise<AcceptedSms> {
      try {
        const message = await client.messages.create({
          to: request.to,
          from: request.from,
          body: request.body,
          ...(request.statusCallback ? { statusCallback: request.statusCallback } : {}),
        });
        return { messageSid: message.sid, status: message.status };
      } catch (error) {
        throw toSendError(error);
      }
    },
    async placeCall(request: CallRequest): Promise<PlacedCall> {
      try {
        const call = await client.calls.create({
          to: request.to,
          from: request.from,
          twiml: request.twiml,
        });
        return { callSid: call.sid, status: call.status };
      } catch (error) {
        throw toSendError(error);
      }
    },
    async findSent(query: SentSmsQuery): Promise<SentSms[]> {
      try {
        return await readSentHistory(client.messages, query, options.pageSize ?? 50);
      } catch (error) {
        if (error instanceof SmsSendError) throw error;
        const cause = toSendError(error);
        // A failed look-up says nothing about the text: never permanent, always uncertain.
        throw new SmsSendError(
          `reading Twilio's history failed: ${cause.message}`,
          false,
          cause.code,
          true,
        );
      }
    },
  };
}

/** Connection errors raised before any byte of the request left: nothing can have been sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function toSendError(error: unknown): SmsSendError {
  const e = error as { status?: number; code?: number | string; message?: string };
  if (typeof e.status === 'number') {
    const permanent = e.status >= 400 && e.status < 500 && e.status !== 429;
    return new SmsSendError(
      `Twilio answered ${e.status}: ${e.message ?? 'no message'}`,
      permanent,
      e.code !== undefined ? String(e.code) : String(e.status),
      e.status >= 500, // a 5xx may follow an accepted message
    );
  }
  const code = typeof e.code === 'string' ? e.code : null;
  return new SmsSendError(
    `Twilio unreachable: ${code ?? e.message ?? String(error)}`,
    false,
    code,
    !(code && NOT_SENT.has(code)),
  );
}
