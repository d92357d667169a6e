import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  JOB_CATEGORIES,
  LANGUAGES,
  missingTopics,
  NOTHING_KNOWN,
  URGENCIES,
  type Assessment,
  type ConversationTurn,
  type QualificationInput,
  type QuestionTopic,
} from '../src/qualification/model.ts';
import { nextQuestion } from '../src/qualification/questions.ts';

/** One labelled conversation (`test/fixtures/qualification/README.md`). */
export const labelledConversationSchema = z.object({
  id: z.string(),
  note: z.string().optional(),
  language: z.enum(LANGUAGES),
  texts: z.array(z.string().min(1)).min(1),
  answers: z.partialRecord(z.enum(['job', 'address', 'urgency', 'times', 'name']), z.string()),
  expected: z.object({
    category: z.enum(JOB_CATEGORIES).nullable(),
    postalCode: z.string().nullable(),
    urgency: z.enum(URGENCIES).nullable(),
    name: z.string().nullable(),
    address: z.string().nullable().optional(),
  }),
});
export type LabelledConversation = z.infer<typeof labelledConversationSchema>;

/** The fields the bench scores. */
export const SCORED_FIELDS = ['category', 'postalCode', 'urgency', 'name'] as const;
type ScoredField = (typeof SCORED_FIELDS)[number];

/** Reads every `*.json` of `dir`, validated. @throws on a file that is not the format. */
export async function loadLabelledConversations(dir: string): Promise<LabelledConversation[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const all: LabelledConversation[] = [];
  for (const file of files) {
    const parsed = z
      .array(labelledConversationSchema)
      .safeParse(JSON.parse(await readFile(join(dir, file), 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    all.push(...parsed.data);
  }
  return all;
}

/** An engine as the bench drives it: the conversation in, a reading out. */
export type Assess = (input: QualificationInput) => Promise<Assessment>;

/** What one conversation came to. */
export interface ConversationResult {
  id: string;
  questions: QuestionTopic[];
  assessment: Assessment;
}

/**
 * Plays one labelled conversation as the assistant would have it: the lead's texts, then
 * while a question is due (`nextQuestion`, at most `maxQuestions`) the question and the
 * lead's labelled answer to it; a question the lead leaves unanswered ends the conversation.
 * The urgency question also asks what times suit, so its answer is the urgency answer and
 * the times answer together.
 */
export async function playConversation(
  conversation: LabelledConversation,
  assess: Assess,
  maxQuestions = 3,
  now = '2026-11-24T15:00:00.000Z',
): Promise<ConversationResult> {
  const turns: ConversationTurn[] = conversation.texts.map((text) => ({ from: 'lead', text }));
  const input = (): QualificationInput => ({
    turns: [...turns],
    known: NOTHING_KNOWN,
    language: conversation.language,
    timezone: 'America/Toronto',
    now,
  });
  let assessment = await assess(input());
  const asked: QuestionTopic[] = [];
  for (;;) {
    const topic = nextQuestion(assessment.fields, asked, maxQuestions);
    if (topic === null) break;
    asked.push(topic);
    turns.push({ from: 'assistant', text: `(${topic}?)`, asked: topic });
    const a = conversation.answers;
    const answer =
      topic === 'urgency' ? [a.urgency, a.times].filter(Boolean).join(', ') : (a[topic] ?? '');
    if (answer === '') break;
    turns.push({ from: 'lead', text: answer });
    assessment = await assess(input());
  }
  return { id: conversation.id, questions: asked, assessment };
}

/** Precision, recall and F1 of one field over a labelled set. */
export interface FieldScore {
  field: ScoredField;
  precision: number;
  recall: number;
  f1: number;
}

/** The bench's table for one engine. */
export interface QualityReport {
  conversations: number;
  fields: FieldScore[];
  questionsPerLead: number;
  fullyQualified: number;
  /** Each wrong answer: which conversation, which field, expected and read. */
  errors: Array<{ id: string; field: ScoredField; expected: string | null; got: string | null }>;
}

/** Scores the results against the labels (exact match after trimming; names ignore case). */
export function scoreResults(
  labelled: LabelledConversation[],
  results: ConversationResult[],
): QualityReport {
  const byId = new Map(results.map((r) => [r.id, r]));
  const errors: QualityReport['errors'] = [];
  const fields = SCORED_FIELDS.map((field) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const conversation of labelled) {
      const got = normalise(field, byId.get(conversation.id)?.assessment.fields[field] ?? null);
      const expected = normalise(field, conversation.expected[field]);
      if (got !== null && got === expected) tp++;
      else {
        if (got !== null) fp++;
        if (expected !== null) fn++;
        if (got !== expected) errors.push({ id: conversation.id, field, expected, got });
      }
    }
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { field, precision, recall, f1 };
  });
  const questions = results.reduce((n, r) => n + r.questions.length, 0);
  const qualified = results.filter((r) => missingTopics(r.assessment.fields).length === 0).length;
  return {
    conversations: labelled.length,
    fields,
    questionsPerLead: results.length === 0 ? 0 : questions / results.length,
    fullyQualified: results.length === 0 ? 0 : qualified / results.length,
    errors,
  };
}

function normalise(field: ScoredField, value: string | null): string | null {
  if (value === null) return null;
  const trimmed = value.trim().replace(/\s+/g, ' ');
  if (trimmed === '') return null;
  return field === 'name' || field === 'postalCode' ? trimmed.toUpperCase() : trimmed;
}

/** The report as the table the bench prints. */
export function formatReport(engine: string, report: QualityReport): string {
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`.padStart(7);
  const lines = [
    `engine: ${engine} · ${report.conversations} labelled conversations`,
    'field        precision  recall      F1',
    ...report.fields.map(
      (f) =>
        `${f.field.padEnd(12)} ${pct(f.precision)}  ${pct(f.recall)} ${f.f1.toFixed(3).padStart(7)}`,
    ),
    `questions per lead: ${report.questionsPerLead.toFixed(2)}`,
    `fully qualified:    ${pct(report.fullyQualified).trim()}`,
  ];
  return lines.join('\n');
}
