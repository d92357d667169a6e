import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiStandIn } from '../../harness/openai-stand-in.ts';
import { deterministicEngine } from '../../src/qualification/deterministic-engine.ts';
import {
  languageModelEngine,
  LLM_PROMPT_VERSION,
} from '../../src/qualification/language-model-engine.ts';
import { NOTHING_KNOWN, type QualificationInput } from '../../src/qualification/model.ts';

const input: QualificationInput = {
  turns: [
    {
      from: 'lead',
      text: 'water heater leaking in basement, 45 Elm St Toronto M4E 2V1, call 647-555-0123',
    },
    { from: 'assistant', text: "And what's your name?", asked: 'name' },
    { from: 'lead', text: 'Sarah' },
  ],
  known: NOTHING_KNOWN,
  language: 'en',
  timezone: 'America/Toronto',
  now: '2026-11-24T15:00:00.000Z',
};

describe('the language-model engine against a local OpenAI-compatible server', () => {
  const server = new OpenAiStandIn();
  const engine = (timeoutMs = 2_000, url = () => server.url) =>
    languageModelEngine({
      baseUrl: url(),
      apiKey: 'sk-test',
      model: 'stand-in-1',
      timeoutMs,
      fallback: deterministicEngine(),
    });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('asks for strict structured output and records the model, prompt version and tokens', async () => {
    const before = server.requests.length;
    const answer = await engine().assess(input);
    expect(answer).toMatchObject({
      engine: 'language-model',
      model: 'stand-in-1',
      promptVersion: LLM_PROMPT_VERSION,
      fallback: null,
    });
    expect(answer.tokens!.prompt).toBeGreaterThan(100);
    expect(answer.tokens!.completion).toBeGreaterThan(10);
    expect(answer.assessment.fields).toMatchObject({
      category: 'water-heater',
      postalCode: 'M4E 2V1',
      name: 'Sarah',
    });
    const request = server.requests[before]!.body as {
      model: string;
      temperature: number;
      messages: Array<{ content: string }>;
      response_format: { json_schema: { strict: boolean; schema: { required: string[] } } };
    };
    expect(request.model).toBe('stand-in-1');
    expect(request.temperature).toBe(0);
    expect(request.response_format.json_schema.schema.required).toEqual(
      expect.arrayContaining(['category', 'postalCode', 'urgency', 'name', 'confidence']),
    );
    expect(request.messages.at(-1)!.content).toContain(
      "Business (asked about: name): And what's your name?",
    );
  });

  it('a model slower than the timeout: the rules answer, and the record says timeout', async () => {
    server.script({ kind: 'slow', delayMs: 3_000 });
    const started = Date.now();
    const answer = await engine(500).assess(input);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(answer.engine).toBe('deterministic');
    expect(answer.model).toBe('stand-in-1');
    expect(answer.fallback?.reason).toBe('timeout');
    expect(answer.latencyMs).toBeGreaterThanOrEqual(450);
    expect(answer.assessment.fields.category).toBe('water-heater');
  });

  it.each([
    ['prose instead of JSON', { kind: 'invalid' as const }, 'invalid-output'],
    ['JSON the schema refuses', { kind: 'wrong-shape' as const }, 'invalid-output'],
    ['an HTTP 500', { kind: 'error' as const }, 'provider-error'],
  ])('%s: the rules answer, and the record says %s', async (_, behaviour, reason) => {
    server.script(behaviour);
    const answer = await engine().assess(input);
    expect(answer.engine).toBe('deterministic');
    expect(answer.fallback?.reason).toBe(reason);
    expect(answer.assessment.fields.postalCode).toBe('M4E 2V1');
  });

  it('an endpoint that refuses connections is a provider error; nothing in the record quotes a phone number', async () => {
    const answer = await engine(2_000, () => 'http://127.0.0.1:9/v1').assess(input);
    expect(answer.fallback?.reason).toBe('provider-error');
    expect(answer.fallback?.detail).not.toMatch(/555-?0123/);
  });
});
