import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { listMessages } from './fake-twilio-list.ts';
import { loadCallCreateSpec, loadMessageCreateSpec, loadMessageListSpec } from './twilio-spec.ts';

/** A text the fake Twilio accepted. */
export interface FakeMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | undefined;
  dateCreated: Date;
}

/** A call the fake Twilio accepted (`POST …/Calls.json`). */
export interface FakeCall {
  sid: string;
  to: string;
  from: string;
  twiml: string;
  dateCreated: Date;
}

type Behaviour = 'accept' | 'hang' | 'fail-500' | 'reset';

/**
 * A small HTTP server that answers like Twilio's Messages API
 * (`POST/GET /2010-04-01/Accounts/{AccountSid}/Messages.json`): HTTP Basic auth with the
 * account SID and auth token, form parameters checked against Twilio's own OpenAPI
 * description (unknown parameter → 400, missing `To` → 21604, missing `Body` → 21602, missing
 * `From` → 21603, `To` not E.164 → 21211), JSON bodies in Twilio's shape. The list pages as
 * Twilio's does (newest first, 50 to a page, `next_page_uri`; see `fake-twilio-list.ts`) and
 * refuses query parameters Twilio's OpenAPI description does not list. A message is `queued`
 * (`date_sent` null) for its first second, then `sent` (as Twilio sends one promptly). Tests script failures per request: hang after accepting, 500,
 * or reset the connection; {@link FakeTwilio.seedSent} adds texts other senders sent. It also
 * takes call-backs (`POST …/Calls.json`, see `createCall`), recorded in {@link FakeTwilio.calls}.
 */
export class FakeTwilio {
  readonly messages: FakeMessage[] = [];
  /** Calls placed through the Calls API (call-backs), in order. */
  readonly calls: FakeCall[] = [];
  /** Every request received, valid or not: the form body of a POST, the query of a GET. */
  readonly requests: Array<{ method: string; path: string; params: Record<string, string> }> = [];
  private readonly scripted: Behaviour[] = [];
  private readonly refused = new Map<string, { code: number; message: string }>();
  private readonly failing = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly spec = loadMessageCreateSpec();
  private readonly listSpec = loadMessageListSpec();
  private readonly callSpec = loadCallCreateSpec();
  private server: http.Server | undefined;
  url = '';

  constructor(
    readonly accountSid: string,
    readonly authToken: string,
  ) {}

  /** Starts listening on 127.0.0.1 (`port` 0: any free port). */
  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => void this.route(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Scripts how the next create requests are answered, in order; then `accept` again. */
  respondNext(...behaviours: Behaviour[]): this {
    this.scripted.push(...behaviours);
    return this;
  }

  /** Refuses every text to `to` with Twilio error `code` (e.g. 21610 unsubscribed recipient). */
  refuseRecipient(to: string, code: number, message: string): this {
    this.refused.set(to, { code, message });
    return this;
  }

  /** Answers the next `count` texts to `to` with a 500 (a transient failure), then accepts. */
  failNextTo(to: string, count: number): this {
    this.failing.set(to, count);
    return this;
  }

  /**
   * Puts `count` texts from `from` to `to` into Twilio's history, created now, as if another
   * sender on the same account had sent them (bodies `Other sender's text 1`, `2`, …; no status
   * callback). They are listed like any other message and counted by {@link to}.
   * @returns the messages added, oldest first.
   */
  seedSent(to: string, from: string, count: number): FakeMessage[] {
    const added = Array.from({ length: count }, (_, i) => ({
      sid: newMessageSid(),
      to,
      from,
      body: `Other sender's text ${i + 1}`,
      statusCallback: undefined,
      dateCreated: new Date(),
    }));
    this.messages.push(...added);
    return added;
  }

  /** Messages sent to `to`. */
  to(to: string): FakeMessage[] {
    return this.messages.filter((m) => m.to === to);
  }

  /** Waits until at least `count` messages were accepted. */
  async waitForMessages(count: number, timeoutMs = 15_000): Promise<FakeMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `expected ${count} messages, got ${this.messages.length}: ${JSON.stringify(this.messages.map((m) => [m.to, m.body]))}`,
        );
      }
      await sleep(20);
    }
    return this.messages;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private error(res: http.ServerResponse, status: number, code: number, message: string) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        code,
        message,
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status,
      }),
    );
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const params = Object.fromEntries(
      req.method === 'GET'
        ? url.searchParams
        : new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
    );
    this.requests.push({ method: req.method ?? '', path: url.pathname, params });

    const recording = /^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/(RE[0-9a-zA-Z]+)\.mp3$/.exec(
      url.pathname,
    );
    if (recording) return this.recordingMedia(req, recording[1]!, recording[2]!, res);
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(url.pathname);
    if (!match) return this.error(res, 404, 20404, 'The requested resource was not found');
    const expected =
      'Basic ' + Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64');
    if (req.headers.authorization !== expected || match[1] !== this.accountSid) {
      return this.error(res, 401, 20003, 'Authenticate');
    }
    if (match[2] === 'Calls') return this.createCall(req, params, res);
    if (req.method === 'GET') return this.list(url, res);
    if (req.method !== 'POST') return this.error(res, 405, 20004, 'Method not allowed');

    const unknown = Object.keys(params).filter((k) => !this.spec.known.has(k));
    if (unknown.length)
      return this.error(res, 400, 21609, `Unknown parameters: ${unknown.join(', ')}`);
    for (const name of this.spec.required) {
      if (!params[name])
        return this.error(res, 400, 21604, `A '${name}' phone number is required.`);
    }
    if (!/^\+\d{8,15}$/.test(params.To ?? ''))
      return this.error(
        res,
        400,
        21211,
        `The 'To' number ${params.To} is not a valid phone number.`,
      );
    if (!params.From && !params.MessagingServiceSid)
      return this.error(res, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required");
    if (!params.Body && !params.MediaUrl && !params.ContentSid)
      return this.error(res, 400, 21602, 'Message body is required.');

    const refusal = this.refused.get(params.To!);
    if (refusal) return this.error(res, 400, refusal.code, refusal.message);
    const failures = this.failing.get(params.To!) ?? 0;
    if (failures > 0) {
      this.failing.set(params.To!, failures - 1);
      return this.error(res, 500, 20500, 'Internal Server Error');
    }
    const behaviour = this.scripted.shift() ?? 'accept';
    if (behaviour === 'reset') {
      req.socket.destroy();
      return;
    }
    if (behaviour === 'fail-500') return this.error(res, 500, 20500, 'Internal Server Error');
    const message: FakeMessage = {
      sid: newMessageSid(),
      to: params.To!,
      from: params.From!,
      body: params.Body!,
      statusCallback: params.StatusCallback,
      dateCreated: new Date(),
    };
    this.messages.push(message);
    if (behaviour === 'hang') return; // accepted, but the answer never comes
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify(this.resource(message)));
  }

  /**
   * `POST …/Calls.json` (CreateCall): parameters checked against Twilio's OpenAPI description
   * (unknown → 400; `To` and `From` required, E.164 here; a `Url` or `Twiml`, the TwiML at
   * most its documented 4,000 characters and well-formed enough to start with `<?xml` or
   * `<Response>`). Answers 201 with a `queued` call resource.
   */
  private createCall(
    req: http.IncomingMessage,
    params: Record<string, string>,
    res: http.ServerResponse,
  ) {
    if (req.method !== 'POST') return this.error(res, 405, 20004, 'Method not allowed');
    const unknown = Object.keys(params).filter((k) => !this.callSpec.known.has(k));
    if (unknown.length)
      return this.error(res, 400, 21609, `Unknown parameters: ${unknown.join(', ')}`);
    for (const name of this.callSpec.required) {
      if (!params[name]) return this.error(res, 400, 21201, `No '${name}' number is specified`);
    }
    if (!/^\+\d{8,15}$/.test(params.To!) || !/^\+\d{8,15}$/.test(params.From!))
      return this.error(res, 400, 21211, `Invalid 'To' or 'From' phone number`);
    const twiml = params.Twiml ?? '';
    if (!params.Url && !/^(<\?xml[^>]*\?>)?<Response>[\s\S]*<\/Response>$/.test(twiml))
      return this.error(res, 400, 21205, 'A Url or valid Twiml is required');
    if (twiml.length > this.callSpec.maxTwiml)
      return this.error(res, 400, 13803, 'Twiml is longer than 4000 characters');
    const refusal = this.refused.get(params.To!);
    if (refusal) return this.error(res, 400, refusal.code, refusal.message);
    const call: FakeCall = {
      sid: 'CA' + randomBytes(16).toString('hex'),
      to: params.To!,
      from: params.From!,
      twiml,
      dateCreated: new Date(),
    };
    this.calls.push(call);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        account_sid: this.accountSid,
        api_version: '2010-04-01',
        date_created: rfc2822(call.dateCreated),
        direction: 'outbound-api',
        from: call.from,
        sid: call.sid,
        status: 'queued',
        to: call.to,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Calls/${call.sid}.json`,
      }),
    );
  }

  /**
   * `GET …/Recordings/{RecordingSid}.mp3`: the recording's audio, with the account's Basic
   * auth only (401 otherwise), as Twilio serves it when HTTP auth on media is on. The bytes
   * are {@link FakeTwilio.recordingBytes} of the SID.
   */
  private recordingMedia(
    req: http.IncomingMessage,
    accountSid: string,
    recordingSid: string,
    res: http.ServerResponse,
  ) {
    const expected =
      'Basic ' + Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64');
    if (req.headers.authorization !== expected || accountSid !== this.accountSid) {
      return this.error(res, 401, 20003, 'Authenticate');
    }
    res.writeHead(200, { 'content-type': 'audio/mpeg' });
    res.end(FakeTwilio.recordingBytes(recordingSid));
  }

  /** The audio the fake serves for a recording: an ID3 header and the SID. */
  static recordingBytes(recordingSid: string): Buffer {
    return Buffer.concat([Buffer.from('ID3'), Buffer.from(recordingSid)]);
  }

  private list(url: URL, res: http.ServerResponse) {
    const answer = listMessages(this.messages, url, this.listSpec, (m) => this.resource(m));
    if (answer.status !== 200) return this.error(res, answer.status, answer.code, answer.message);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private resource(m: FakeMessage) {
    // Twilio sends an accepted text within moments: a second after it was created, the fake
    // shows it sent (`date_sent` set); until then queued, with no `date_sent`.
    const sentAt = m.dateCreated.getTime() + 1_000;
    const sent = Date.now() >= sentAt;
    return {
      account_sid: this.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: rfc2822(m.dateCreated),
      date_sent: sent ? rfc2822(new Date(sentAt)) : null,
      date_updated: rfc2822(m.dateCreated),
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: sent ? 'sent' : 'queued',
      subresource_uris: {
        media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${m.sid}/Media.json`,
      },
      to: m.to,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${m.sid}.json`,
    };
  }
}

/** A Message SID as Twilio makes them: `SM` and 32 hex digits. */
const newMessageSid = () => 'SM' + randomBytes(16).toString('hex');

/** A date as Twilio writes it (RFC 2822 in GMT, whole seconds): `Fri, 24 May 2019 17:44:46 +0000`. */
const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');
