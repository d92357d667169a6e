import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiStandIn } from '../../harness/openai-stand-in.ts';
import { runCli } from '../../harness/service-process.ts';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { e2eBackends, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { actors } from '../support/actors.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550900';
const OWNER = '+14165550999';
const TIMEOUT_MS = 1_000;

type Assessed = Extract<RecordedLeadlineEvent, { type: 'QualificationAssessed' }>;

// On the PostgreSQL log only: the engine sits between the processor and the log's append and
// behaves the same on either log; test/e2e/qualification.test.ts runs the assistant on both
// (the suite's time is bounded: see the README's Tests).
describe.each(e2eBackends().filter((b) => b.backend === 'postgres'))(
  'the language-model engine on the $backend log, against a local OpenAI-compatible server',
  ({ env }) => {
    const model = new OpenAiStandIn();
    let e: E2eEnv;
    let tenantId: string;
    let seq = 0;
    const nextLead = () => `+1647555${String(8000 + ++seq).padStart(4, '0')}`;
    const act = actors(() => e);
    const settle = () => waitUntilSettled(e.databaseUrl);
    const assessments = async (phone: string) =>
      (await e.readStream(leadStreamId(tenantId, phone))).filter(
        (ev): ev is Assessed => ev.type === 'QualificationAssessed',
      );

    beforeAll(async () => {
      await model.start();
      e = await startE2eEnv({
        ...env,
        LLM_BASE_URL: model.url,
        LLM_API_KEY: 'sk-local-test',
        LLM_MODEL: 'stand-in-1',
        LLM_TIMEOUT_MS: String(TIMEOUT_MS),
      });
      tenantId = await e.addTenant({ name: 'Model Plumbing', number: NUMBER, owner: OWNER });
    });
    afterAll(async () => {
      await e?.close();
      await model.stop();
    });

    it("the model's answer is recorded (model, prompt version, latency, tokens) and decides the question", async () => {
      const phone = nextLead();
      await act.sms(phone, NUMBER, 'my toilet keeps running, 12 Oak St M4C 1A1, today please');
      await settle();
      const [assessed] = await assessments(phone);
      expect(assessed!.data).toMatchObject({
        engine: 'language-model',
        model: 'stand-in-1',
        promptVersion: 'llm-1',
        fallback: null,
        fields: { category: 'toilet', postalCode: 'M4C 1A1' },
      });
      expect(assessed!.data.tokens!.prompt).toBeGreaterThan(0);
      expect(e.twilio.to(phone).map((m) => m.body)).toEqual([
        expect.stringContaining("what's your name?"),
      ]);
    });

    it('a model slower than LLM_TIMEOUT_MS, or one answering prose: the rules answer, the fallback is recorded, the lead is answered', async () => {
      const slow = nextLead();
      model.script({ kind: 'slow', delayMs: 3 * TIMEOUT_MS });
      await act.sms(slow, NUMBER, 'kitchen drain clogged, 45 Elm St M4E 2V1');
      await settle();
      const [timedOut] = await assessments(slow);
      expect(timedOut!.data).toMatchObject({
        engine: 'deterministic',
        model: 'stand-in-1',
        fallback: { reason: 'timeout' },
        fields: { category: 'clog-drain' },
      });
      expect(timedOut!.data.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(e.twilio.to(slow)).toHaveLength(1);

      const prose = nextLead();
      model.script({ kind: 'invalid' });
      await act.sms(prose, NUMBER, 'no hot water since yesterday');
      await settle();
      const [invalid] = await assessments(prose);
      expect(invalid!.data).toMatchObject({
        engine: 'deterministic',
        fallback: { reason: 'invalid-output' },
        fields: { category: 'water-heater' },
      });
      expect(e.twilio.to(prose)).toHaveLength(1);
    });

    it('projections rebuild --all afterwards: 0 requests to the model server, 0 texts', async () => {
      await settle();
      const requests = model.requests.length;
      const texts = e.twilio.messages.length;
      const result = await runCli(['projections', 'rebuild', '--all'], e.env);
      expect(result.code, result.stderr).toBe(0);
      await settle();
      expect(model.requests.length).toBe(requests);
      expect(e.twilio.messages.length).toBe(texts);
    });
  },
);
