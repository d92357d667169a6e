import { missingTopics, type QualificationFields, type QuestionTopic } from './model.ts';

/**
 * The next topic the assistant asks about, or null when it should stop (pure): the first
 * unknown topic it has not asked about yet, while fewer than `maxQuestions` were asked. A
 * topic is asked once: a lead who did not answer it is not asked again.
 * @param asked the topics asked so far in this conversation, oldest first.
 * @param maxQuestions the tenant's limit (default 3).
 */
export function nextQuestion(
  fields: QualificationFields,
  asked: readonly QuestionTopic[],
  maxQuestions: number,
): QuestionTopic | null {
  if (asked.length >= maxQuestions) return null;
  return missingTopics(fields).find((topic) => !asked.includes(topic)) ?? null;
}
