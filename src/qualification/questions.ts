import { missingTopics, type QualificationFields, type QuestionTopic } from './model.ts';
import { outsideServiceArea } from './postal-code.ts';

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

/**
 * The question the assistant asks after a reading, or null when it asks nothing more (pure):
 * none in an emergency (the lead's text said so, or the reading finds one), none to a lead
 * outside the service area (they are told so instead), else {@link nextQuestion}. The
 * assessor settles a lead exactly when this is null, and the processor asks exactly this.
 */
export function questionToAsk(
  fields: QualificationFields,
  asked: readonly QuestionTopic[],
  rules: { maxQuestions: number; serviceArea: readonly string[]; emergency: boolean },
): QuestionTopic | null {
  if (rules.emergency || fields.urgency === 'emergency') return null;
  if (outsideServiceArea(fields.postalCode, rules.serviceArea)) return null;
  return nextQuestion(fields, asked, rules.maxQuestions);
}
