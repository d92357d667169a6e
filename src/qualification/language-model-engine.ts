import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { maskPhonesIn } from '../shared/phone.ts';
import type { EngineAnswer, FallbackReason, QualificationEngine } from './engine.ts';
import {
  JOB_CATEGORIES,
  mergeFields,
  qualificationFieldsSchema,
  URGENCIES,
  type QualificationFields,
  type QualificationInput,
} from './model.ts';
import { readPostalCode } from './postal-code.ts';
import { cutText } from '../shared/text.ts';

/** The prompt's version, recorded with every answer: bump it with any change to the prompt. */
export const LLM_PROMPT_VERSION = 'llm-1';

/**
 * What the model must answer (OpenAI structured output, strict JSON schema from zod): every
 * field present, `null` for what the customer did not say.
 */
export const modelAnswerSchema = z.object({
  category: z.enum(JOB_CATEGORIES).nullable(),
  jobSummary: z.string().nullable(),
  address: z.string().nullable(),
  postalCode: z.string().nullable(),
  urgency: z.enum(URGENCIES).nullable(),
  preferredWindows: z.array(z.string()),
  name: z.string().nullable(),
  confidence: z.number(),
});
export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

/** The instructions: the trade's categories and urgencies as the labelled set defines them. */
const SYSTEM_PROMPT = `You read the text messages a customer sent to a plumbing business and extract what the plumber needs before calling back. The customer may write in English or French, with typos and emoji. Never invent anything: use null (or an empty list) for what the customer did not say.

Fields:
- category: leak | clog-drain | water-heater | toilet | fixture-install | sewer | gas-smell | no-water | other (a plumbing job that fits none) | null (no job: wrong number, spam, a price question without a problem of their own).
- jobSummary: 2 to 4 words naming the problem, in English ("Burst pipe", "Water heater leaking").
- address: the street address as written, without city, province, state or postal code.
- postalCode: a Canadian postal code as "A1A 1A1" (or its first three characters when only those were given), or a US ZIP as five digits.
- urgency: emergency (water running now, flooding, burst pipe, sewage backing up, a gas smell, no water at all, or the customer says emergency/urgent/right now) | soon (today, tomorrow, this week, as soon as possible with no damage happening) | flexible (no rush, next week or later, a quote, a planned install) | null.
- preferredWindows: the times that suit the customer, as short phrases in their words ("tomorrow morning", "after 3").
- name: the customer's own name, as written; never the business's or anyone else's.
- confidence: 0 to 1, how sure you are of the whole reading.`;

/** The conversation as the model reads it: a transcript, and the moment it was written. */
export function promptFor(input: QualificationInput): OpenAI.ChatCompletionMessageParam[] {
  const transcript = input.turns
    .map((t) =>
      t.from === 'lead'
        ? `Customer: ${t.text}`
        : `Business${t.asked ? ` (asked about: ${t.asked})` : ''}: ${t.text}`,
    )
    .join('\n');
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    {
      role: 'user',
      content: `Now: ${input.now} (business time zone ${input.timezone}).\nConversation so far:\n${transcript}`,
    },
  ];
}

/** Options of {@link languageModelEngine}. */
export interface LanguageModelOptions {
  /** An OpenAI-compatible endpoint (`…/v1`). */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** The whole request's budget (ms); then the fallback answers. */
  timeoutMs: number;
  /** Answers whenever the model does not: the deterministic engine. */
  fallback: QualificationEngine;
  /** Monotonic milliseconds, for latency. */
  now?: () => number;
}

/** The model answered, but not with what the schema asks. */
class InvalidModelOutput extends Error {}

/**
 * A qualification engine that asks a language model through the official `openai` SDK
 * (`chat.completions.parse` with a strict JSON schema made from {@link modelAnswerSchema} by
 * `zodResponseFormat`; temperature 0; no SDK retries: a failure falls back at once). Its
 * answer is normalised (postal codes to `A1A 1A1`, strings cut to the stored bounds) and
 * validated against the stored schema. On a timeout (`timeoutMs`), a provider error (HTTP
 * error, connection refused) or output that fails validation, the fallback engine answers and
 * the answer says why (`fallback`), with the model that failed. Never throws.
 */
export function languageModelEngine(options: LanguageModelOptions): QualificationEngine {
  const now = options.now ?? performance.now.bind(performance);
  const client = new OpenAI({
    baseURL: options.baseUrl,
    // Local servers (Ollama, vLLM) take any key; the SDK insists on one.
    apiKey: options.apiKey ?? 'none',
    timeout: options.timeoutMs,
    maxRetries: 0,
  });
  return {
    description: `language-model (${options.model})`,
    deterministic: false,
    async assess(input): Promise<EngineAnswer> {
      const started = now();
      try {
        const completion = await client.chat.completions.parse(
          {
            model: options.model,
            temperature: 0,
            messages: promptFor(input),
            response_format: zodResponseFormat(modelAnswerSchema, 'lead_qualification'),
          },
          { signal: AbortSignal.timeout(options.timeoutMs) },
        );
        const message = completion.choices[0]?.message;
        if (!message?.parsed) {
          throw new InvalidModelOutput(
            message?.refusal ? `the model refused: ${message.refusal}` : 'no structured output',
          );
        }
        const { fields, confidence } = normalise(message.parsed);
        return {
          assessment: { fields: mergeFields(input.known, fields), confidence },
          engine: 'language-model',
          model: options.model,
          promptVersion: LLM_PROMPT_VERSION,
          latencyMs: Math.round(now() - started),
          tokens: completion.usage
            ? {
                prompt: completion.usage.prompt_tokens,
                completion: completion.usage.completion_tokens,
              }
            : null,
          fallback: null,
        };
      } catch (error) {
        const answer = await options.fallback.assess(input);
        return {
          ...answer,
          model: options.model,
          latencyMs: Math.round(now() - started),
          fallback: { reason: fallbackReason(error), detail: describe(error) },
        };
      }
    },
  };
}

/**
 * The model's answer in the stored shape: postal codes canonical (or null when none can be
 * read from what it gave), strings trimmed and cut to the stored bounds, at most 5 windows.
 * @throws InvalidModelOutput when it still fails the stored schema or the confidence is not
 *   within 0..1.
 */
function normalise(answer: ModelAnswer): { fields: QualificationFields; confidence: number } {
  const text = (value: string | null, max: number) => {
    const clean = value?.replace(/\s+/g, ' ').trim() ?? '';
    return clean === '' ? null : cutText(clean.toWellFormed(), max);
  };
  const fields = {
    category: answer.category,
    jobSummary: text(answer.jobSummary, 80),
    address: text(answer.address, 120),
    postalCode: answer.postalCode ? readPostalCode(answer.postalCode, { zipExpected: true }) : null,
    urgency: answer.urgency,
    preferredWindows: answer.preferredWindows
      .map((w) => text(w, 60))
      .filter((w): w is string => w !== null)
      .slice(0, 5),
    name: text(answer.name, 60),
  };
  const parsed = qualificationFieldsSchema.safeParse(fields);
  if (!parsed.success) throw new InvalidModelOutput(z.prettifyError(parsed.error));
  if (!(answer.confidence >= 0 && answer.confidence <= 1)) {
    throw new InvalidModelOutput(`confidence ${answer.confidence} is not within 0..1`);
  }
  return { fields: parsed.data, confidence: answer.confidence };
}

/** Why the model's answer was not used. */
function fallbackReason(error: unknown): FallbackReason {
  if (
    error instanceof OpenAI.APIConnectionTimeoutError ||
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) ||
    error instanceof OpenAI.APIUserAbortError
  ) {
    return 'timeout';
  }
  if (error instanceof OpenAI.APIError) return 'provider-error';
  return 'invalid-output';
}

/** The error for the record: its kind and message, phone numbers masked, at most 500 chars. */
function describe(error: unknown): string {
  const text =
    error instanceof OpenAI.APIError && error.status
      ? `HTTP ${error.status}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  return maskPhonesIn(text).slice(0, 500);
}
