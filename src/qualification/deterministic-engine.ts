import { readAddress } from './address.ts';
import type { QualificationEngine } from './engine.ts';
import { readJob, saysNoJob } from './categories.ts';
import {
  NOTHING_KNOWN,
  mergeFields,
  missingTopics,
  QUESTION_TOPICS,
  type Assessment,
  type JobUrgency,
  type QualificationFields,
  type QualificationInput,
  type QuestionTopic,
} from './model.ts';
import { readName, readNameAnswer } from './name.ts';
import { isZip, readPostalCode } from './postal-code.ts';
import { readTimes } from './times.ts';
import { readUrgency, readUrgencyAnswer } from './urgency.ts';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { cutText } from '../shared/text.ts';

/** The deterministic engine's prompt version: bump when its reading changes. */
export const DETERMINISTIC_VERSION = 'deterministic-1';

/**
 * Reads a conversation with keyword and pattern rules (pure, no I/O, microseconds): the job
 * (`categories.ts`), the street address (`address.ts`), the postal code (`postal-code.ts`),
 * how urgent (`urgency.ts`), the times that suit (`times.ts`, chrono-node) and the lead's
 * name (`name.ts`). A lead's text right after a question is read as its answer first ("Sarah"
 * after "what's your name?"). What earlier assessments found (`input.known`) is kept unless
 * the conversation now says otherwise.
 */
export function assessDeterministically(input: QualificationInput): Assessment {
  let fields: QualificationFields = { ...NOTHING_KNOWN, preferredWindows: [] };
  let urgencies: JobUrgency[] = [];
  let asked: QuestionTopic | undefined;
  for (const turn of input.turns) {
    if (turn.from === 'assistant') {
      asked = turn.asked;
      continue;
    }
    const text = turn.text;
    const reading = readTurn(text, asked, input.language);
    const job = reading.job;
    if (job && fields.category === null) {
      fields = { ...fields, category: job.category, jobSummary: job.summary };
    } else if (
      !job &&
      asked === 'job' &&
      fields.category === null &&
      /\p{L}{3}/u.test(text) &&
      !reading.noJob
    ) {
      fields = { ...fields, category: 'other', jobSummary: oneLine(text, 40) };
    }
    const postalCode = reading.postalCode;
    // A later code corrects an earlier one, but a ZIP never replaces a Canadian code.
    if (postalCode && !(isZip(postalCode) && fields.postalCode && !isZip(fields.postalCode))) {
      fields = { ...fields, postalCode };
    }
    const address = reading.address;
    if (address && fields.address === null) fields = { ...fields, address };
    else if (!address && !postalCode && asked === 'address' && /\d/.test(text)) {
      fields = { ...fields, address: oneLine(text, 120) };
    }
    const name = reading.name;
    if (name) fields = { ...fields, name };
    const urgency = reading.urgency;
    if (urgency) urgencies = [...urgencies, urgency];
    const times = reading.times;
    if (times.length > 0) {
      fields = { ...fields, preferredWindows: [...fields.preferredWindows, ...times] };
    } else if (asked === 'times' && /\p{L}{2}/u.test(text)) {
      fields = { ...fields, preferredWindows: [...fields.preferredWindows, oneLine(text, 60)] };
    }
    asked = undefined;
  }
  fields = { ...fields, urgency: settleUrgency(urgencies, fields) };
  const merged = mergeFields(input.known, fields);
  const known = QUESTION_TOPICS.length - missingTopics(merged).length;
  return { fields: merged, confidence: Math.round((known / QUESTION_TOPICS.length) * 100) / 100 };
}

/** What one lead text says on its own, read once (see {@link readTurn}). */
interface TurnReading {
  job: ReturnType<typeof readJob>;
  noJob: boolean;
  postalCode: string | null;
  address: string | null;
  name: string | null;
  /** Read without the job's category: {@link settleUrgency} applies it to the whole. */
  urgency: JobUrgency | null;
  times: string[];
}

/** Readings of recent texts, most recently used last (a `Map` keeps insertion order). */
const readings = new Map<string, TurnReading>();
/** How many texts' readings are kept (a few MB at most). */
const MAX_READINGS = 5_000;

/**
 * What a lead's text says on its own, given the question it answers and the conversation's
 * language: the same text is read once, however many later assessments of the conversation
 * re-read it (each assessment reads every turn; a conversation has up to 12). The readers are
 * pure, so a kept reading is the one they would give again. Times are phrases in the lead's
 * words, so they do not depend on when they are read.
 */
function readTurn(
  text: string,
  asked: QuestionTopic | undefined,
  language: QualificationInput['language'],
): TurnReading {
  const key = `${language}\u0000${asked ?? ''}\u0000${text}`;
  const kept = readings.get(key);
  if (kept) {
    readings.delete(key);
    readings.set(key, kept);
    return kept;
  }
  const reading: TurnReading = {
    job: readJob(text),
    noJob: saysNoJob(text),
    postalCode: readPostalCode(text, { zipExpected: asked === 'address' }),
    address: readAddress(text),
    name: asked === 'name' ? readNameAnswer(text) : readName(text),
    urgency: asked === 'urgency' ? readUrgencyAnswer(text, null) : readUrgency(text, null),
    times: readTimes(text, language, new Date()),
  };
  readings.set(key, reading);
  if (readings.size > MAX_READINGS) readings.delete(readings.keys().next().value!);
  return reading;
}

/**
 * One urgency for the conversation: an emergency said at any point stands; otherwise the
 * latest said. A gas smell or a house without water is an emergency even unsaid.
 */
function settleUrgency(said: JobUrgency[], fields: QualificationFields): JobUrgency | null {
  if (said.includes('emergency')) return 'emergency';
  if (fields.category === 'gas-smell' || fields.category === 'no-water') return 'emergency';
  return said.at(-1) ?? null;
}

function oneLine(text: string, max: number): string {
  return cutText(text.replace(/\s+/g, ' ').trim(), max);
}

/**
 * {@link assessDeterministically} as a {@link QualificationEngine}; `now` measures latency
 * (ms). It runs on the process's event loop, beside the webhooks: each assessment first lets
 * waiting I/O run (`setImmediate`), so a burst of assessments delays a webhook by one
 * assessment at most (milliseconds), and the date parser is warmed up here, at start, rather
 * than on the first lead's text (its first call compiles its patterns: ~100 ms).
 */
export function deterministicEngine(now: () => number = performance.now.bind(performance)) {
  readTimes('tomorrow morning', 'en', new Date());
  readTimes('demain matin', 'fr', new Date());
  const engine: QualificationEngine = {
    description: 'deterministic',
    deterministic: true,
    assess: async (input) => {
      await yieldToIo();
      const started = now();
      const assessment = assessDeterministically(input);
      return {
        assessment,
        engine: 'deterministic',
        model: null,
        promptVersion: DETERMINISTIC_VERSION,
        latencyMs: Math.round((now() - started) * 1000) / 1000,
        tokens: null,
        fallback: null,
      };
    },
  };
  return engine;
}
