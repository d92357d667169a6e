import type { ConsumerContext } from '../log/event-log.ts';
import type { QualificationInput, QuestionTopic } from './model.ts';
import type { Write } from '../db/combined-writes.ts';

/** The channel `qualification_requests` NOTIFYs on; the assessor listens. */
export const QUALIFICATION_CHANNEL = 'leadline_qualification';

/**
 * A processor's decision to have a lead's conversation read: what the engine reads, and
 * what settles the lead (the questions already asked, the tenant's budget, its service area).
 */
export interface QualificationRequest {
  /** The lead's text being assessed (`MessageSid`): the row's key and the events'. */
  requestId: string;
  input: QualificationInput;
  asked: QuestionTopic[];
  maxQuestions: number;
  /** The emergency stops the questions: the assessment settles the lead at once. */
  emergency: boolean;
  /** Postal-code prefixes served (empty: everywhere). */
  serviceArea: string[];
}

/** Where the request came from: the lead's stream and the event that decided it. */
export interface QualificationCause {
  tenantId: string;
  streamId: string;
  eventId: string;
  traceparent: string | null;
}

/**
 * The write that inserts qualification requests inside a processor's transaction (so they
 * commit with its checkpoint), combined with its other writes (`runWrites`): idempotent on
 * `requestId`; the assessor is notified (`QUALIFICATION_CHANNEL`) at commit when a row is
 * inserted. Undefined when there is nothing to queue, and in replay mode (the refusal logged
 * at debug): a rebuild never asks an engine (issue 16: replay never calls the model).
 */
export function qualificationsWrite(
  ctx: ConsumerContext,
  caused: ReadonlyArray<{ cause: QualificationCause; request: QualificationRequest }>,
): Write | undefined {
  if (caused.length === 0) return undefined;
  if (ctx.replay) {
    ctx.log.debug({ refused: caused.length }, 'replay mode: qualification not requested');
    return undefined;
  }
  const column = <T>(value: (row: (typeof caused)[number]) => T): T[] => caused.map(value);
  return {
    insert: `INSERT INTO qualification_requests (request_id, tenant_id, stream_id, input,
       cause_event_id, traceparent)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::uuid[], $6::text[])
     ON CONFLICT (request_id) DO NOTHING`,
    values: [
      column((r) => r.request.requestId),
      column((r) => r.cause.tenantId),
      column((r) => r.cause.streamId),
      column((r) => JSON.stringify(r.request)),
      column((r) => r.cause.eventId),
      column((r) => r.cause.traceparent),
    ],
    channel: QUALIFICATION_CHANNEL,
  };
}
