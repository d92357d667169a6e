import { z } from 'zod';

/**
 * The trade's job categories, the ones a plumbing dispatcher books by. `other` is a plumbing
 * job that fits none of them; a conversation that names no job at all has category `null`.
 */
export const JOB_CATEGORIES = [
  'leak',
  'clog-drain',
  'water-heater',
  'toilet',
  'fixture-install',
  'sewer',
  'gas-smell',
  'no-water',
  'other',
] as const;
export type JobCategory = (typeof JOB_CATEGORIES)[number];

/**
 * How soon the job is needed: `emergency` (damage happening now, gas, sewage, no water),
 * `soon` (today to this week), `flexible` (no rush, a quote, a planned install).
 */
export const URGENCIES = ['emergency', 'soon', 'flexible'] as const;
export type JobUrgency = (typeof URGENCIES)[number];

/**
 * What the assistant may ask for, in the order it asks: the job, where, how soon (the
 * question also asks what times suit), who. `times` is asked alone only when the answer about
 * urgency named none and questions remain.
 */
export const QUESTION_TOPICS = ['job', 'address', 'urgency', 'name', 'times'] as const;
export type QuestionTopic = (typeof QUESTION_TOPICS)[number];

/**
 * A qualifying conversation quiet for this long (ms) is over: the lead's next text starts a
 * new one (a new job, most likely).
 */
export const CONVERSATION_QUIET_MS = 12 * 60 * 60_000;

/** The languages a lead is texted in (issue 16: English, and French for Canada). */
export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * What is known of a lead's job. Every string is bounded: these come from a customer's texts
 * (or a model's reading of them) and end up in alerts and the dashboard.
 * - `jobSummary`: a few words in the lead's terms ("Burst pipe"), for the owner's alert.
 * - `postalCode`: Canadian `A1A 1A1` or the FSA alone (`M4C`), or a US ZIP5.
 * - `preferredWindows`: the times that suit the lead, as short phrases ("tomorrow morning").
 */
export const qualificationFieldsSchema = z.object({
  category: z.enum(JOB_CATEGORIES).nullable(),
  jobSummary: z.string().max(80).nullable(),
  address: z.string().max(120).nullable(),
  postalCode: z
    .string()
    .regex(/^([A-Z]\d[A-Z]( \d[A-Z]\d)?|\d{5})$/)
    .nullable(),
  urgency: z.enum(URGENCIES).nullable(),
  preferredWindows: z.array(z.string().max(60)).max(5),
  name: z.string().max(60).nullable(),
});
export type QualificationFields = z.infer<typeof qualificationFieldsSchema>;

/** Nothing known yet. */
export const NOTHING_KNOWN: QualificationFields = {
  category: null,
  jobSummary: null,
  address: null,
  postalCode: null,
  urgency: null,
  preferredWindows: [],
  name: null,
};

/** One text of the conversation the engine reads: the lead's, or the assistant's question. */
export interface ConversationTurn {
  from: 'lead' | 'assistant';
  /** The text as sent (a lead's body is at most 1,600 characters). */
  text: string;
  /** For an assistant question: what it asked. */
  asked?: QuestionTopic;
}

/** What an engine reads: the conversation so far and what earlier assessments found. */
export interface QualificationInput {
  /** Chronological; the last turn is the lead's text being assessed. */
  turns: ConversationTurn[];
  known: QualificationFields;
  language: Language;
  /** IANA zone of the business, for "tomorrow morning". */
  timezone: string;
  /** The last text's time, ISO 8601 UTC. */
  now: string;
}

/** An engine's reading of the conversation: every field it knows now, and how sure it is. */
export interface Assessment {
  fields: QualificationFields;
  /** 0..1: the share of the asked-for topics known, weighted by how clearly each was said. */
  confidence: number;
}

/**
 * The topics still unknown, in the order the assistant asks them. `address` is known from a
 * street address or a postal code.
 */
export function missingTopics(fields: QualificationFields): QuestionTopic[] {
  const known: Record<QuestionTopic, boolean> = {
    job: fields.category !== null,
    address: fields.address !== null || fields.postalCode !== null,
    urgency: fields.urgency !== null,
    times: fields.preferredWindows.length > 0,
    name: fields.name !== null,
  };
  return QUESTION_TOPICS.filter((topic) => !known[topic]);
}

/**
 * Merges a newer reading over an older one: a field the newer one leaves empty keeps its
 * earlier value; windows accumulate (at most 5, no repeats).
 */
export function mergeFields(
  older: QualificationFields,
  newer: QualificationFields,
): QualificationFields {
  const windows = [...older.preferredWindows];
  for (const w of newer.preferredWindows) if (!windows.includes(w)) windows.push(w);
  return {
    category: newer.category ?? older.category,
    jobSummary: newer.jobSummary ?? older.jobSummary,
    address: newer.address ?? older.address,
    postalCode: newer.postalCode ?? older.postalCode,
    urgency: newer.urgency ?? older.urgency,
    preferredWindows: windows.slice(-5),
    name: newer.name ?? older.name,
  };
}
