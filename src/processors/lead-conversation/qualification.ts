import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import {
  CONVERSATION_QUIET_MS,
  NOTHING_KNOWN,
  mergeFields,
  type ConversationTurn,
  type Language,
  type QualificationFields,
  type QuestionTopic,
} from '../../qualification/model.ts';
import { questionToAsk } from '../../qualification/questions.ts';
import type { QualificationRequest } from '../../qualification/request-queue.ts';
import { qualificationSummary } from '../../rules/message-copy.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { cutText } from '../../shared/text.ts';

/** How many texts of a conversation the state keeps for the engine (the latest). */
export const MAX_TURNS = 12;
/** How much of each text the engine reads (characters). */
const MAX_TURN_CHARS = 500;

/**
 * The qualifying conversation with one lead (issue 16), as the processor keeps it: the texts
 * so far, the topics asked, what the assessments found, and how it ended.
 */
export interface QualificationState {
  /** The latest lead text sent for assessment (`MessageSid`); its answer decides. */
  requestId?: string;
  turns: ConversationTurn[];
  asked: QuestionTopic[];
  fields: QualificationFields;
  /** UTC ISO: the conversation's latest text either way. */
  lastAt: string;
  /** Topics the latest assessment made known. */
  learned?: QuestionTopic[];
  /** Set by `LeadQualified`: the owner's summary line, and whether it is outside the area. */
  qualified?: { summary: string | null; outsideArea: boolean; postalCode: string | null };
  /** The lead said it is an emergency: no questions; it escalates as any emergency does. */
  emergency?: boolean;
}

/**
 * The conversation as it stands at `now`: a new one when none is open or it went quiet. A new
 * conversation (a new job, most likely) still knows who the lead is and where: their name,
 * address and postal code are not asked again.
 */
export function openConversation(
  current: QualificationState | undefined,
  now: string,
): QualificationState {
  if (current && Date.parse(now) - Date.parse(current.lastAt) < CONVERSATION_QUIET_MS) {
    return current;
  }
  const kept = current?.fields;
  return {
    turns: [],
    asked: [],
    fields: {
      ...NOTHING_KNOWN,
      preferredWindows: [],
      name: kept?.name ?? null,
      address: kept?.address ?? null,
      postalCode: kept?.postalCode ?? null,
    },
    lastAt: now,
  };
}

/** A reading this long (ms) after the lead's text is too late to ask anything on. */
export const STALE_READING_MS = 30 * 60_000;

/** `turns` with one more text, the oldest dropped beyond {@link MAX_TURNS}. */
export function withTurn(
  state: QualificationState,
  turn: ConversationTurn,
  at: string,
): QualificationState {
  const text = cutText(turn.text, MAX_TURN_CHARS);
  return { ...state, turns: [...state.turns, { ...turn, text }].slice(-MAX_TURNS), lastAt: at };
}

/**
 * The request that has the engine read a lead's text: the conversation with the text, what
 * is known, the lead's language (the tenant's until the lead writes in another), and what
 * settles it (the topics asked, the tenant's budget, its service area).
 */
export function qualificationRequest(
  conversation: QualificationState,
  event: Extract<RecordedLeadlineEvent, { type: 'SmsInbound' }>,
  tenant: Tenant,
  language: Language,
  emergency: boolean,
): QualificationRequest {
  return {
    requestId: event.data.messageSid,
    input: {
      turns: conversation.turns,
      known: conversation.fields,
      language,
      timezone: tenant.timezone,
      now: event.occurredAt,
    },
    asked: conversation.asked,
    maxQuestions: emergency ? 0 : tenant.qualifyingQuestions,
    emergency,
    serviceArea: tenant.serviceArea,
  };
}

/**
 * The conversation after an assessment (pure): its fields merged in; the topics it taught
 * remembered for the closing text.
 */
export function assessed(
  conversation: QualificationState,
  data: Extract<RecordedLeadlineEvent, { type: 'QualificationAssessed' }>['data'],
): QualificationState {
  return {
    ...conversation,
    fields: mergeFields(conversation.fields, data.fields),
    learned: data.learned,
  };
}

/**
 * The next question after an assessment at `now`, or null (pure; see `questionToAsk`, the
 * rule the assessor settles by): none once qualified, in an emergency, outside the service
 * area, or when the reading came more than
 * {@link STALE_READING_MS} after the lead's text.
 */
export function questionAfter(
  conversation: QualificationState,
  tenant: Tenant,
  now: string,
): QuestionTopic | null {
  if (conversation.qualified) return null;
  // The assessor was down for a while: a question long after the text would puzzle the lead.
  if (Date.parse(now) - Date.parse(conversation.lastAt) > STALE_READING_MS) return null;
  return questionToAsk(conversation.fields, conversation.asked, {
    maxQuestions: tenant.qualifyingQuestions,
    serviceArea: tenant.serviceArea,
    emergency: conversation.emergency === true,
  });
}

/** The owner's summary line for what is known so far, or null. */
export function summaryOf(conversation: QualificationState | undefined): string | null {
  if (!conversation) return null;
  if (conversation.qualified) return conversation.qualified.summary;
  return qualificationSummary(conversation.fields, false);
}
