import type pg from 'pg';
import { DueWorker, msUntilDue } from '../db/due-work-loop.ts';
import type { EventData } from '../events/catalogue.ts';
import { newEvent } from '../events/new-event.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import type { EngineAnswer, QualificationEngine } from './engine.ts';
import { missingTopics, type QuestionTopic } from './model.ts';
import { outsideServiceArea } from './postal-code.ts';
import { questionToAsk } from './questions.ts';
import { QUALIFICATION_CHANNEL, type QualificationRequest } from './request-queue.ts';

/** What the assessor needs. */
export interface AssessorOptions {
  url: string;
  pool: pg.Pool;
  log: EventLog;
  engine: QualificationEngine;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
  /** How long a claim lasts (ms): longer than the engine's timeout. */
  leaseMs: number;
}

/** Requests claimed at once: their appends share a commit (group commit), their marks one statement. */
const CLAIM_SIZE = 50;

/**
 * Claims of one request whose assessor died or hung (its lease ran out) before the request is
 * given up: a text that crashes whoever reads it must not crash them forever.
 */
export const MAX_EXPIRED_CLAIMS = 3;

interface RequestRow {
  attempts: number;
  expired_claims: number;
  answer: EngineAnswer | null;
  request_id: string;
  tenant_id: string;
  stream_id: string;
  input: QualificationRequest;
  traceparent: string | null;
}

/**
 * Reads leads' conversations (`qualification_requests`): claims due rows (`FOR UPDATE SKIP
 * LOCKED`, a lease), asks the engine, and appends its answer to the lead's stream as
 * `QualificationAssessed`, with `LeadQualified` in the same append when the answer settles
 * the lead ({@link settles}). Both are keyed by the request, so a request assessed twice (its
 * assessor died after the append) is in the log once. A language model's answer is stored
 * on the request before the append, so a request tried again appends that same answer, never
 * a second reading; the rules give the same answer again anyway. Up to 50 requests are
 * claimed at once: their appends share a commit, and they are marked done in one statement. A request whose append fails waits and is tried again; one whose assessors
 * died {@link MAX_EXPIRED_CLAIMS} times is marked `failed` and logged. Nothing is sent here: the lead-conversation processor decides the next question or the closing text from
 * these events, so a replay reads the recorded answer and never asks the engine again.
 */
export class Assessor extends DueWorker {
  constructor(private readonly options: AssessorOptions) {
    super(options.url, QUALIFICATION_CHANNEL, options.pollIntervalMs, options.logger);
  }

  protected async doDue(): Promise<number> {
    const { rows } = await this.options.pool.query<RequestRow>(
      `UPDATE qualification_requests q SET status = 'assessing', attempts = attempts + 1,
         expired_claims = expired_claims + CASE WHEN q.status = 'assessing' THEN 1 ELSE 0 END,
         lease_until = now() + $1::int * interval '1 millisecond', updated_at = now()
        WHERE request_id IN (
          SELECT request_id FROM qualification_requests
           WHERE (status = 'pending' AND next_attempt_at <= now())
              OR (status = 'assessing' AND lease_until < now())
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING q.request_id, q.tenant_id, q.stream_id, q.input, q.traceparent, q.attempts,
          q.expired_claims, q.answer`,
      [this.options.leaseMs, CLAIM_SIZE],
    );
    const settled = await Promise.all(rows.map((row) => this.settle(row)));
    // The requests whose events were appended are done, in one statement for the claim.
    const done = rows.filter((_, i) => settled[i]).map((row) => row.request_id);
    if (done.length > 0) {
      await this.options.pool.query(
        `UPDATE qualification_requests SET status = 'done', lease_until = NULL, updated_at = now()
          WHERE request_id = ANY($1::text[]) AND status = 'assessing'`,
        [done],
      );
    }
    return rows.length;
  }

  /**
   * Assesses one claimed request. One whose assessors kept dying is given up
   * ({@link MAX_EXPIRED_CLAIMS}) and `QualificationFailed` recorded, so the lead is
   * acknowledged instead; one whose append failed (the log unreachable) waits and is
   * tried again, however long that takes, with backoff up to a minute.
   */
  private async settle(row: RequestRow): Promise<boolean> {
    if (row.expired_claims >= MAX_EXPIRED_CLAIMS) {
      this.options.logger.error(
        { requestId: row.request_id, expiredClaims: row.expired_claims },
        'qualification request given up: its assessors died or hung',
      );
      const reason = `the assessor died or hung ${row.expired_claims} times`;
      // Recorded first: the processor acknowledges the lead instead of leaving them waiting.
      await this.options.log.append([
        newEvent(
          {
            type: 'QualificationFailed',
            data: { requestId: row.request_id, reason },
            streamId: row.stream_id,
            tenantId: row.tenant_id,
            idempotencyKey: row.request_id,
            correlationId: row.request_id,
            traceparent: row.traceparent,
          },
          this.options.clock,
        ),
      ]);
      await this.options.pool.query(
        `UPDATE qualification_requests SET status = 'failed', lease_until = NULL,
           last_error = $2, updated_at = now()
          WHERE request_id = $1`,
        [row.request_id, reason],
      );
      return false;
    }
    try {
      await this.assess(row);
      return true;
    } catch (error) {
      this.options.logger.warn(
        { requestId: row.request_id, attempt: row.attempts, err: error },
        'qualification not recorded yet; trying again',
      );
      await this.options.pool
        .query(
          `UPDATE qualification_requests SET status = 'pending', lease_until = NULL,
             next_attempt_at = now() + $2::int * interval '1 millisecond', updated_at = now()
            WHERE request_id = $1`,
          [row.request_id, Math.min(60_000, 1_000 * 2 ** Math.min(row.attempts, 6))],
        )
        .catch(() => {}); // the database gone too: the lease brings the request back
      return false;
    }
  }

  private async assess(row: RequestRow): Promise<void> {
    const request = row.input;
    const fresh = row.answer ? undefined : await this.options.engine.assess(request.input);
    // Only an engine that may answer differently next time needs its answer kept for a retry.
    const answer =
      row.answer ?? (this.options.engine.deterministic ? fresh! : await this.keep(row, fresh!));
    if (answer.fallback) {
      this.options.logger.warn(
        { requestId: row.request_id, reason: answer.fallback.reason, model: answer.model },
        'language model not used; the deterministic engine answered',
      );
    }
    const { assessed, qualified } = assessmentEvents(request, answer);
    const common = {
      streamId: row.stream_id,
      tenantId: row.tenant_id,
      idempotencyKey: row.request_id,
      correlationId: row.request_id,
      traceparent: row.traceparent,
    };
    await this.options.log.append([
      newEvent({ ...common, type: 'QualificationAssessed', data: assessed }, this.options.clock),
      ...(qualified
        ? [newEvent({ ...common, type: 'LeadQualified', data: qualified }, this.options.clock)]
        : []),
    ]);
  }

  /**
   * Stores the engine's answer on the request unless one is there already (a concurrent
   * assessor's), and gives back the one stored: every append of the request uses it.
   */
  private async keep(row: RequestRow, answer: EngineAnswer): Promise<EngineAnswer> {
    const { rows } = await this.options.pool.query<{ answer: EngineAnswer }>(
      `UPDATE qualification_requests SET answer = COALESCE(answer, $2::jsonb), updated_at = now()
        WHERE request_id = $1 RETURNING answer`,
      [row.request_id, JSON.stringify(answer)],
    );
    return rows[0]?.answer ?? answer;
  }

  protected async nextDueInMs(): Promise<number> {
    const { rows } = await this.options.pool.query<{ ms: number | null }>(
      `SELECT (EXTRACT(EPOCH FROM (min(CASE WHEN status = 'pending'
                THEN next_attempt_at ELSE lease_until END) - now())) * 1000)::float8 AS ms
         FROM qualification_requests WHERE status IN ('pending', 'assessing')`,
    );
    return msUntilDue(rows[0]?.ms);
  }
}

/**
 * True when an assessment settles the lead: nothing is missing, no question is left to ask
 * (the budget is spent, or every missing topic was asked once), it is an emergency (the
 * text said so, or the assessment reads one), or the lead is outside the service area: the
 * assistant asks nothing more then.
 */
export function settles(
  request: Pick<QualificationRequest, 'asked' | 'maxQuestions' | 'emergency' | 'serviceArea'>,
  answer: Pick<EngineAnswer, 'assessment'>,
): boolean {
  return questionToAsk(answer.assessment.fields, request.asked, request) === null;
}

/** The events an answer makes (pure): the assessment, and the qualification when it settles. */
export function assessmentEvents(
  request: QualificationRequest,
  answer: EngineAnswer,
): {
  assessed: EventData<'QualificationAssessed'>;
  qualified: EventData<'LeadQualified'> | null;
} {
  const { fields, confidence } = answer.assessment;
  const missing = missingTopics(fields);
  const before = new Set<QuestionTopic>(missingTopics(request.input.known));
  const learned = [...before].filter((topic) => !missing.includes(topic));
  const assessed = {
    requestId: request.requestId,
    engine: answer.engine,
    model: answer.model,
    promptVersion: answer.promptVersion,
    fields,
    confidence,
    missing,
    learned,
    fallback: answer.fallback,
    latencyMs: answer.latencyMs,
    tokens: answer.tokens,
  };
  if (!settles(request, answer)) return { assessed, qualified: null };
  return {
    assessed,
    qualified: {
      ...fields,
      requestId: request.requestId,
      confidence,
      missing,
      outsideArea: outsideServiceArea(fields.postalCode, request.serviceArea),
    },
  };
}
