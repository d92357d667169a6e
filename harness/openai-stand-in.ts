import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { assessDeterministically } from '../src/qualification/deterministic-engine.ts';
import {
  NOTHING_KNOWN,
  QUESTION_TOPICS,
  type ConversationTurn,
  type QuestionTopic,
} from '../src/qualification/model.ts';

/**
 * How the stand-in answers one request: `rules` (a well-formed answer: the deterministic
 * reading of the transcript it was sent), `slow` (the same after `delayMs`), `invalid` (prose,
 * not JSON), `wrong-shape` (JSON the schema refuses), `error` (HTTP 500, as a provider outage).
 */
export type StandInBehaviour =
  | { kind: 'rules' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'invalid' }
  | { kind: 'wrong-shape' }
  | { kind: 'error' };

/**
 * A local OpenAI-compatible chat-completions server (`POST /v1/chat/completions`), for tests
 * and the quality bench to run the language-model engine without a model. It answers as the
 * API does (a `chat.completion` object with `choices[0].message.content` and `usage`),
 * requires a bearer key and a strict `json_schema` response format (as the engine must send),
 * refuses other paths with 404, and counts every request. What it answers is scripted per
 * request ({@link StandInBehaviour}; `rules` when nothing is scripted): it measures the
 * engine's plumbing (structured output, fallbacks, latency, tokens), not a model's quality.
 */
export class OpenAiStandIn {
  /** Every request received: path and JSON body. */
  readonly requests: Array<{ path: string; body: Record<string, unknown> }> = [];
  private readonly scripted: StandInBehaviour[] = [];
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  /** `http://127.0.0.1:<port>/v1`: the `LLM_BASE_URL` to give. */
  url = '';
  /** Every request after the scripted ones is answered this way. */
  behaviour: StandInBehaviour = { kind: 'rules' };

  /** The next requests are answered as `behaviours`, in order. */
  script(...behaviours: StandInBehaviour[]): void {
    this.scripted.push(...behaviours);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v1`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return send(404, { error: { message: `Unknown request URL: ${req.method} ${req.url}` } });
    }
    if (!/^Bearer .+/.test(req.headers.authorization ?? '')) {
      return send(401, { error: { message: 'You did not provide an API key.' } });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(400, { error: { message: 'We could not parse the JSON body of your request.' } });
    }
    this.requests.push({ path: req.url, body });
    const format = body.response_format as
      { type?: string; json_schema?: { strict?: boolean } } | undefined;
    if (format?.type !== 'json_schema' || format.json_schema?.strict !== true) {
      return send(400, { error: { message: 'response_format must be a strict json_schema' } });
    }
    const behaviour = this.scripted.shift() ?? this.behaviour;
    if (behaviour.kind === 'error') {
      return send(500, { error: { message: 'The server had an error processing your request.' } });
    }
    if (behaviour.kind === 'slow') await sleep(behaviour.delayMs);
    if (res.destroyed) return;
    const messages = (body.messages ?? []) as Array<{ role: string; content: string }>;
    const prompt = messages.map((m) => m.content).join('\n');
    const content =
      behaviour.kind === 'invalid'
        ? 'Sure! The customer needs a plumber for a leak.'
        : behaviour.kind === 'wrong-shape'
          ? JSON.stringify({ category: 'plumbing', urgency: 'whenever' })
          : JSON.stringify(readTranscript(messages.at(-1)?.content ?? ''));
    send(200, {
      id: `chatcmpl-standin${this.requests.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: String(body.model),
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: Math.ceil(prompt.length / 4),
        completion_tokens: Math.ceil(content.length / 4),
        total_tokens: Math.ceil(prompt.length / 4) + Math.ceil(content.length / 4),
      },
    });
  }
}

/** The deterministic reading of a transcript in the engine's prompt format, as the model's answer. */
function readTranscript(prompt: string) {
  const turns: ConversationTurn[] = [];
  for (const line of prompt.split('\n')) {
    const customer = /^Customer: (.*)$/.exec(line);
    const business = /^Business(?: \(asked about: (\w+)\))?: (.*)$/.exec(line);
    if (customer) turns.push({ from: 'lead', text: customer[1]! });
    else if (business) {
      const asked = business[1] as QuestionTopic | undefined;
      turns.push({
        from: 'assistant',
        text: business[2]!,
        ...(asked && QUESTION_TOPICS.includes(asked) ? { asked } : {}),
      });
    }
  }
  const { fields, confidence } = assessDeterministically({
    turns,
    known: NOTHING_KNOWN,
    language: 'en',
    timezone: 'America/Toronto',
    now: new Date().toISOString(),
  });
  return { ...fields, confidence };
}
