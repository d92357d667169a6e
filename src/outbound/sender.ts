import type pg from 'pg';
import { DueWorker, msUntilDue } from '../db/due-work-loop.ts';
import type { EventData } from '../events/catalogue.ts';
import { newEvent } from '../events/new-event.ts';
import { tenantStreamId } from '../events/streams.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { UNSUBSCRIBED_RECIPIENT } from '../rules/message-status.ts';
import {
  applyConsentChange,
  consentFor,
  consentLedgerProjection,
  mintUnsubscribeLink,
} from '../consent/index.ts';
import { detectLanguage } from '../qualification/language.ts';
import { unsubscribeCopy } from '../rules/message-copy.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { customerTimeZones } from '../shared/phone-timezones.ts';
import { trace } from '@opentelemetry/api';
import type { LeadlineMetrics, SendResultStatus } from '../telemetry/metrics.ts';
import { activeTraceparent, inSpan, SpanKind } from '../telemetry/trace-context.ts';
import {
  carriesUnsubscribeLink,
  consentWithholds,
  decideSend,
  factsNeeded,
  ledgerRecheckMs,
  mayAwaitLedger,
  type QuietHoursFacts,
  type QuotaFacts,
  type SendFacts,
  type SendIntent,
} from './decide-send.ts';
import { OUTBOX_CHANNEL } from './outbox.ts';
import { reconcileAttempt } from './reconcile.ts';
import {
  SmsSendError,
  type AcceptedSms,
  type SmsRequest,
  type SmsTransport,
} from './sms-transport.ts';

/** Everything the sender needs. */
export interface SenderOptions {
  url: string;
  pool: pg.Pool;
  log: EventLog;
  /** Absent in dry-run mode. */
  transport: SmsTransport | undefined;
  mode: 'live' | 'dry-run';
  clock: Clock;
  logger: Logger;
  /** Where Twilio posts message status callbacks (`<PUBLIC_BASE_URL>/twilio/sms/status`). */
  statusCallbackUrl: string;
  /** How long a claim lasts before another sender may recover it (ms). */
  leaseMs: number;
  pollIntervalMs: number;
  /** Attempts before a transient failure becomes permanent. Default 8. */
  maxAttempts?: number;
  /**
   * Where one-click unsubscribe links point and the key that makes them: non-transactional
   * texts carry one. Absent: no link.
   */
  unsubscribeLink?: { publicBaseUrl: string; secret: string };
  /** Sends in flight at most (rows claimed and not yet finished). Default 10. */
  batchSize?: number;
  /** Counts each result (`leadline_sms_send_results_total`). */
  metrics?: LeadlineMetrics;
}

/** An `outbound_messages` row as claimed. */
interface ClaimedRow {
  outbox_id: string;
  dedupe_key: string;
  tenant_id: string;
  stream_id: string;
  lead_phone: string;
  audience: 'lead' | 'owner';
  purpose: string;
  consent_exempt: boolean;
  to_number: string;
  from_number: string;
  body: string;
  cause_event_id: string;
  correlation_id: string | null;
  traceparent: string | null;
  attempts: number;
  created_at: Date;
  /** Set when an earlier attempt's outcome is unknown (timeout, reset, 5xx). */
  needs_reconcile: boolean;
  /** Set once Twilio accepted the text, before the result is recorded. */
  message_sid: string | null;
  /** Past this instant the text is withheld as `expired` (the opt-out confirmation). */
  not_after: Date | null;
  /** Solicitation to a customer: waits for daytime in their zone. */
  respects_quiet_hours: boolean;
  /** Quiet hours held the row until this instant, or null: no attempt was made before it. */
  deferred_until: Date | null;
  /** This claim's token: every update of the row is conditional on it. */
  lease_token: string;
  /** Status before this claim: `sending` means the previous claimer vanished mid-send. */
  previous_status: 'pending' | 'sending';
  /** How long (ms) ago the row was queued, by the database's clock (as `created_at`). */
  queued_ms: number;
}

/** The decision's view of a claimed row. */
const sendIntentOf = (row: ClaimedRow): SendIntent => ({
  audience: row.audience,
  purpose: row.purpose,
  consentExempt: row.consent_exempt,
  notAfter: row.not_after,
  respectsQuietHours: row.respects_quiet_hours,
  accepted: row.message_sid !== null,
  uncertain: row.needs_reconcile || row.previous_status === 'sending',
});

/** The value of a settled look-up. @throws its error when it failed. */
function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Delay before retry `attempt` (1-based): 1 s doubling, at most 5 min. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(300_000, 1_000 * 2 ** (attempt - 1));

/**
 * The outbound sender, the only component that talks to Twilio's REST API (design §4).
 *
 * It claims due rows of `outbound_messages` with `FOR UPDATE SKIP LOCKED` and a lease (so
 * several senders share the work and a dead sender's rows are recovered when the lease
 * expires). For each row it gathers the facts the pure {@link decideSend} needs (the consent
 * answer at this instant from the consent module's `consentFor`, the customer's zones and
 * allowed hours, the tenant's quota for the day), decides, then acts: withholds with the
 * decision's reason (never retried), defers a solicitation to daytime, or sends, first asking
 * Twilio whether an uncertain earlier attempt went out. It retries transient failures with
 * backoff and appends the result to the log (`OutboundSmsSent` / `Withheld` / `Deferred` /
 * `Failed`) before marking the row, so a crash in between is repaired by the recovery path.
 */
export class OutboundSender extends DueWorker {
  constructor(private readonly options: SenderOptions) {
    super(options.url, OUTBOX_CHANNEL, options.pollIntervalMs, options.logger);
  }

  /** Sends in flight now (each a claimed row being handled). */
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * Keeps up to `batchSize` sends in flight: claims as many due rows as there are free
   * places and starts them without waiting for the others, so a text that falls due while
   * slow requests to Twilio are out (hundreds of ms each) is claimed as soon as one place
   * frees, not after the slowest of a batch. With every place taken, waits for one.
   * @returns how many rows were claimed (1 after waiting for a place, so the loop goes on).
   */
  protected async doDue(): Promise<number> {
    const places = (this.options.batchSize ?? 10) - this.inFlight.size;
    if (places <= 0) {
      await Promise.race(this.inFlight);
      return 1;
    }
    const rows = await this.claim(places);
    for (const row of rows) {
      const send: Promise<void> = this.handleInSpan(row)
        .catch((error) =>
          this.options.logger.error({ err: error, outboxId: row.outbox_id }, 'send crashed'),
        )
        .finally(() => this.inFlight.delete(send));
      this.inFlight.add(send);
    }
    return rows.length;
  }

  /** Stops claiming, then waits for the sends in flight. */
  override async stop(): Promise<void> {
    await super.stop();
    await Promise.all(this.inFlight);
  }

  /**
   * Handles one row in a span (`sender send <purpose>`) continuing the trace of the event that
   * queued it (`outbound_messages.traceparent`), so the request to Twilio and the result event
   * join the missed call's trace.
   */
  private handleInSpan(row: ClaimedRow): Promise<void> {
    return inSpan(
      `sender send ${row.purpose}`,
      {
        parent: row.traceparent,
        kind: SpanKind.INTERNAL,
        attributes: {
          'leadline.outbox_id': row.outbox_id,
          'leadline.purpose': row.purpose,
          'leadline.audience': row.audience,
          'leadline.attempt': row.attempts,
        },
      },
      async () => {
        row.traceparent = activeTraceparent() ?? row.traceparent;
        await this.handle(row);
      },
    );
  }

  /** Counts one result and notes it on the active span. */
  private result(
    status: SendResultStatus,
    detail: { errorCode?: string | null; reason?: string | null; messageSid?: string } = {},
  ): void {
    this.options.metrics?.recordSendResult(status, detail);
    trace.getActiveSpan()?.setAttributes({
      'leadline.send.result': status,
      ...(detail.errorCode ? { 'leadline.send.error_code': detail.errorCode } : {}),
      ...(detail.reason ? { 'leadline.send.reason': detail.reason } : {}),
      ...(detail.messageSid ? { 'messaging.message.id': detail.messageSid } : {}),
    });
  }

  /**
   * Claims up to a batch of due rows (and rows whose claimer's lease ran out): those of
   * `SEND_FIRST_PURPOSES` first (`rules/send-order.ts`; `send_first`, set when queued), then
   * the longest waiting. Read in the order of `outbound_messages_claim`, so the scan stops at
   * the first rows it can lock, and marks the entries of rows already sent as dead as it
   * passes them (a bitmap scan and sort read every entry, dead ones included, each time).
   */
  private async claim(limit: number): Promise<ClaimedRow[]> {
    const { rows } = await this.options.pool.query<ClaimedRow>(
      `UPDATE outbound_messages o
          SET status = 'sending', attempts = o.attempts + 1, lease_token = gen_random_uuid(),
              lease_until = now() + make_interval(secs => $1::double precision / 1000),
              updated_at = now()
         FROM (SELECT outbox_id, status AS previous_status FROM outbound_messages
                WHERE (status = 'pending' AND next_attempt_at <= now())
                   OR (status = 'sending' AND lease_until < now())
                ORDER BY send_first DESC, next_attempt_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED) due
        WHERE o.outbox_id = due.outbox_id
        RETURNING o.*, due.previous_status,
                  (EXTRACT(EPOCH FROM now() - o.created_at) * 1000)::float8 AS queued_ms`,
      [this.options.leaseMs, limit],
    );
    return rows;
  }

  protected async nextDueInMs(): Promise<number> {
    const { rows } = await this.options.pool.query<{ ms: number | null }>(
      `SELECT (EXTRACT(EPOCH FROM (min(CASE WHEN status = 'pending' THEN next_attempt_at
                ELSE lease_until END) - now())) * 1000)::float8 AS ms
         FROM outbound_messages WHERE status IN ('pending', 'sending')`,
    );
    return msUntilDue(rows[0]?.ms);
  }

  private async handle(row: ClaimedRow): Promise<void> {
    const log = this.options.logger.child({ outboxId: row.outbox_id, purpose: row.purpose });
    let reconciled = false;
    try {
      const transport = this.options.mode === 'live' ? this.options.transport : undefined;
      const intent = sendIntentOf(row);
      const now = this.options.clock.now();
      const mode = transport ? 'live' : 'dry-run';
      let facts = await this.gatherFacts(row, intent, mode, now);
      let decision = decideSend(intent, facts, now);
      if (mayAwaitLedger(decision, row.queued_ms)) {
        if (!(await this.ledgerReached(row, log))) return await this.awaitLedger(row);
        // The ledger may have taken the consent in after it was read: read it again, now that
        // whatever it reads was committed with the checkpoint just found.
        facts = await this.gatherFacts(row, intent, mode, now);
        decision = decideSend(intent, facts, now);
      }
      if (carriesUnsubscribeLink(intent, decision)) await this.addUnsubscribeLink(row);
      if (decision.kind === 'defer') return await this.defer(row, decision);
      if (decision.kind === 'withhold') {
        if (decision.reason === 'quota-exceeded' && facts.quota) {
          await this.recordQuotaExceeded(row, facts.quota);
        }
        return await this.finishWithheld(row, decision.reason, decision.detail);
      }
      if (!transport) throw new Error('decideSend chose to send without a transport');
      const request: SmsRequest = {
        to: row.to_number,
        from: row.from_number,
        body: row.body,
        statusCallback: `${this.options.statusCallbackUrl}?outboxId=${row.outbox_id}`,
      };
      if (row.message_sid) {
        // Accepted by Twilio earlier; only recording the result failed.
        return await this.finishSent(row, { messageSid: row.message_sid, status: 'accepted' });
      }
      if (row.previous_status === 'sending' || row.needs_reconcile) {
        const already = await reconcileAttempt(
          {
            pool: this.options.pool,
            transport,
            leaseMs: this.options.leaseMs,
          },
          {
            outboxId: row.outbox_id,
            leaseToken: row.lease_token,
            to: request.to,
            from: request.from,
            body: request.body,
            createdAt: row.created_at,
            deferredUntil: row.deferred_until,
          },
        );
        reconciled = true;
        if (already) {
          log.info(
            { messageSid: already.messageSid },
            'uncertain attempt had been sent; not re-sending',
          );
          return await this.finishSent(row, already);
        }
      }
      const accepted = await transport.send(request);
      await this.finishSent(row, accepted);
    } catch (error) {
      // Anything but a Twilio verdict (a database or log failure after acceptance, say) may
      // have happened after the text left: reconcile before trying again.
      const sendError =
        error instanceof SmsSendError
          ? error
          : new SmsSendError('recording the attempt failed', false, null, true);
      const mustReconcile =
        sendError.uncertain ||
        ((row.previous_status === 'sending' || row.needs_reconcile) && !reconciled);
      const maxAttempts = this.options.maxAttempts ?? 8;
      if (sendError.permanent || row.attempts >= maxAttempts) {
        log.warn({ code: sendError.code, attempts: row.attempts }, 'send failed for good');
        await this.finishFailed(row, sendError).catch((e) =>
          log.error({ err: e }, 'recording failure failed'),
        );
      } else {
        const delay = retryDelayMs(row.attempts);
        log.warn(
          {
            code: sendError.code,
            attempt: row.attempts,
            retryInMs: delay,
            reconcile: mustReconcile,
          },
          'send failed; will retry',
        );
        this.result('retrying', { errorCode: sendError.code });
        await this.options.pool.query(
          `UPDATE outbound_messages SET status = 'pending', lease_until = NULL, last_error = $2,
             needs_reconcile = $4,
             next_attempt_at = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
           WHERE outbox_id = $1 AND lease_token = $5`,
          [row.outbox_id, sendError.message, delay, mustReconcile, row.lease_token],
        );
      }
    }
  }

  /**
   * Looks up the facts {@link decideSend} needs for this row ({@link factsNeeded}), and only
   * those: the consent answer now (`consentFor`), the customer's zones and allowed hours, and
   * the tenant's daily quota, all at once (one round trip of waiting, not three, before a
   * missed-call text leaves). A consent answer that withholds the text decides alone: what the
   * other look-ups found, or the error one of them met, is set aside (an opted-out lead's text
   * is withheld even while the quota or the tenant's zones cannot be read).
   * @throws the consent look-up's error; another look-up's when consent does not withhold.
   */
  private async gatherFacts(
    row: ClaimedRow,
    intent: SendIntent,
    mode: SendFacts['mode'],
    now: Date,
  ): Promise<SendFacts> {
    const needs = factsNeeded(intent, mode);
    const [consent, quietHours, quota] = await Promise.allSettled([
      needs.consent ? consentFor(this.options.pool, row.tenant_id, row.lead_phone, now) : undefined,
      needs.quietHours ? this.quietHours(row) : undefined,
      needs.quota ? this.quota(row) : undefined,
    ]);
    const facts: SendFacts = { mode };
    if (needs.consent) {
      facts.consent = settledValue(consent);
      if (consentWithholds(intent, facts.consent!)) return facts; // decided: nothing more counts
    }
    if (needs.quietHours) facts.quietHours = settledValue(quietHours);
    if (needs.quota) facts.quota = settledValue(quota);
    return facts;
  }

  /** Appends the one-click unsubscribe link to a non-transactional text, once (kept in the row). */
  private async addUnsubscribeLink(row: ClaimedRow): Promise<void> {
    const link = this.options.unsubscribeLink;
    if (!link || row.body.includes(`${link.publicBaseUrl}/u/`)) return;
    const url = await mintUnsubscribeLink(this.options.pool, link, row.tenant_id, row.lead_phone);
    // The footer in the text's own language (a French lead's review request is in French).
    row.body = `${row.body} ${unsubscribeCopy[detectLanguage(row.body) ?? 'en'].footer(url)}`;
    await this.options.pool.query(
      'UPDATE outbound_messages SET body = $2 WHERE outbox_id = $1 AND lease_token = $3',
      [row.outbox_id, row.body, row.lease_token],
    );
  }

  /**
   * Quiet hours: the customer's zones (from their area code, else the tenant's zone) and the
   * tenant's allowed window (default 08:00-21:00, `rules/quiet-hours.ts`); null for an unknown
   * tenant.
   */
  private async quietHours(row: ClaimedRow): Promise<QuietHoursFacts | null> {
    const tenant = await tenantDirectory.get(this.options.pool, row.tenant_id);
    if (!tenant) return null;
    const timezones = await customerTimeZones(row.lead_phone, tenant.timezone);
    return { timezones, allowed: tenant.quietHoursAllowed };
  }

  /**
   * Whether the consent ledger has taken in every event before the one that caused this text
   * (`EventLog.hasReached`), so a consent given just before shows on it. When that cannot be
   * told (the database or the brokers away), it has not: the text waits rather than being
   * withheld for good or costing an attempt, within {@link mayAwaitLedger}'s bound.
   */
  private async ledgerReached(row: ClaimedRow, log: Logger): Promise<boolean> {
    try {
      return await this.options.log.hasReached(consentLedgerProjection.name, row.cause_event_id);
    } catch (error) {
      log.warn({ err: error }, 'could not tell whether the consent ledger has caught up; waiting');
      return false;
    }
  }

  /**
   * Puts a claimed row back for {@link ledgerRecheckMs} of its age, as if not yet attempted,
   * while the consent ledger catches up (see {@link mayAwaitLedger}). A row whose previous
   * claimer vanished mid-send stays marked for reconciling. Nothing is recorded in the log or
   * counted: the decision is only postponed.
   */
  private async awaitLedger(row: ClaimedRow): Promise<void> {
    await this.options.pool.query(
      `UPDATE outbound_messages SET status = 'pending', attempts = attempts - 1, lease_until = NULL,
         needs_reconcile = needs_reconcile OR $4,
         next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
       WHERE outbox_id = $1 AND lease_token = $3`,
      [
        row.outbox_id,
        ledgerRecheckMs(row.queued_ms),
        row.lease_token,
        row.previous_status === 'sending',
      ],
    );
  }

  /** Puts a claimed row back to wait until `deferral.until`, recording `OutboundSmsDeferred`. */
  private async defer(
    row: ClaimedRow,
    deferral: { until: Date; timezones: string[] },
  ): Promise<void> {
    const until = deferral.until.toISOString();
    await this.options.log.append([
      newEvent(
        {
          type: 'OutboundSmsDeferred',
          streamId: row.stream_id,
          tenantId: row.tenant_id,
          data: {
            ...this.common(row),
            reason: 'quiet-hours',
            until,
            timezones: deferral.timezones,
          },
          idempotencyKey: `${row.outbox_id}:${until}`,
          causationId: row.cause_event_id,
          correlationId: row.correlation_id,
          traceparent: row.traceparent,
        },
        this.options.clock,
      ),
    ]);
    await this.options.pool.query(
      `UPDATE outbound_messages SET status = 'pending', attempts = attempts - 1,
         next_attempt_at = $2, deferred_until = $2, lease_until = NULL, updated_at = now()
       WHERE outbox_id = $1 AND lease_token = $3`,
      [row.outbox_id, until, row.lease_token],
    );
    this.result('deferred', { reason: 'quiet-hours' });
  }

  /**
   * Cost guard: how many texts the tenant has sent to this audience today (tenant-local day)
   * and its cap (customers `daily_quota`, owner `owner_alert_cap`); null for an unknown tenant.
   * Soft by at most the sends in flight (`batchSize`), checked concurrently. The day is a range of
   * `updated_at` (local midnight to the next, DST-correct), so the count reads only today's
   * rows of `outbound_messages_sent_day`, not every text the tenant ever sent.
   */
  private async quota(row: ClaimedRow): Promise<QuotaFacts | null> {
    const { rows } = await this.options.pool.query<QuotaFacts>(
      `SELECT (SELECT count(*)::int FROM outbound_messages o
                WHERE o.tenant_id = t.tenant_id AND o.audience = $2 AND o.status = 'sent'
                  AND o.updated_at >= (date_trunc('day', now() AT TIME ZONE t.timezone) AT TIME ZONE t.timezone)
                  AND o.updated_at < ((date_trunc('day', now() AT TIME ZONE t.timezone) + interval '1 day')
                                      AT TIME ZONE t.timezone)) AS sent,
              CASE WHEN $2 = 'lead' THEN t.daily_quota ELSE t.owner_alert_cap END AS cap,
              (now() AT TIME ZONE t.timezone)::date::text AS day
         FROM tenants t WHERE t.tenant_id = $1`,
      [row.tenant_id, row.audience],
    );
    return rows[0] ?? null;
  }

  /**
   * Records `QuotaExceeded` for the tenant's day and audience (once a day: the event id derives
   * from them); the quota-guard processor alerts the owner.
   */
  private async recordQuotaExceeded(row: ClaimedRow, quota: QuotaFacts): Promise<void> {
    await this.options.log.append([
      newEvent(
        {
          type: 'QuotaExceeded',
          streamId: tenantStreamId(row.tenant_id),
          tenantId: row.tenant_id,
          data: { day: quota.day, audience: row.audience, limit: quota.cap },
          idempotencyKey: `${row.tenant_id}:${quota.day}:${row.audience}`,
          causationId: row.cause_event_id,
          traceparent: row.traceparent,
        },
        this.options.clock,
      ),
    ]);
  }

  private common(row: ClaimedRow) {
    return {
      outboxId: row.outbox_id,
      dedupeKey: row.dedupe_key,
      purpose: row.purpose,
      audience: row.audience,
      to: row.to_number,
      from: row.from_number,
      body: row.body,
    };
  }

  private async record<T extends 'OutboundSmsSent' | 'OutboundSmsWithheld' | 'OutboundSmsFailed'>(
    row: ClaimedRow,
    type: T,
    data: EventData<T>,
  ): Promise<void> {
    await this.options.log.append([
      newEvent(
        {
          type,
          streamId: row.stream_id,
          tenantId: row.tenant_id,
          data,
          idempotencyKey: row.outbox_id,
          causationId: row.cause_event_id,
          correlationId: row.correlation_id,
          traceparent: row.traceparent,
        } as Parameters<typeof newEvent<T>>[0],
        this.options.clock,
      ),
    ]);
  }

  private async finishSent(row: ClaimedRow, accepted: AcceptedSms): Promise<void> {
    // Remember the acceptance first: if recording fails, the retry finishes without re-sending.
    await this.options.pool.query(
      'UPDATE outbound_messages SET message_sid = $2 WHERE outbox_id = $1 AND lease_token = $3',
      [row.outbox_id, accepted.messageSid, row.lease_token],
    );
    await this.record(row, 'OutboundSmsSent', {
      ...this.common(row),
      messageSid: accepted.messageSid,
      status: accepted.status,
      attempts: row.attempts,
    });
    // Counted once per text: an attempt whose lease ran out while it was in flight (a slow
    // machine) finishes after its successor, which reconciled and finished it already.
    if (await this.mark(row, 'sent', accepted.messageSid, null)) {
      this.result('sent', { messageSid: accepted.messageSid });
    }
  }

  private async finishWithheld(
    row: ClaimedRow,
    reason: EventData<'OutboundSmsWithheld'>['reason'],
    detail: string | null = null,
  ): Promise<void> {
    await this.record(row, 'OutboundSmsWithheld', { ...this.common(row), reason, detail });
    await this.mark(row, 'withheld', null, reason);
    this.result('withheld', { reason });
  }

  private async finishFailed(row: ClaimedRow, error: SmsSendError): Promise<void> {
    await this.record(row, 'OutboundSmsFailed', {
      ...this.common(row),
      errorCode: error.code,
      errorMessage: error.message,
      attempts: row.attempts,
    });
    if (error.code === UNSUBSCRIBED_RECIPIENT && row.audience === 'lead') {
      // The carrier holds an opt-out for this number: revoke consent so nothing else is tried.
      const revoked = newEvent(
        {
          type: 'ConsentRevoked',
          streamId: row.stream_id,
          tenantId: row.tenant_id,
          data: {
            phone: row.lead_phone,
            channel: 'carrier-error-21610',
            text: null,
            evidence: { outboxId: row.outbox_id, errorCode: UNSUBSCRIBED_RECIPIENT },
          },
          idempotencyKey: `${row.outbox_id}:21610`,
          causationId: row.cause_event_id,
          correlationId: row.correlation_id,
          traceparent: row.traceparent,
        },
        this.options.clock,
      );
      await this.options.log.append([revoked]);
      await applyConsentChange(this.options.pool, revoked);
    }
    await this.mark(row, 'failed', null, error.message);
    this.result('failed', { errorCode: error.code });
  }

  /** Settles the row if this attempt still holds its lease. @returns whether it did. */
  private async mark(
    row: ClaimedRow,
    status: string,
    messageSid: string | null,
    note: string | null,
  ): Promise<boolean> {
    const result = await this.options.pool.query(
      `UPDATE outbound_messages SET status = $2, message_sid = COALESCE($3, message_sid),
         last_error = COALESCE($4, last_error), lease_until = NULL, needs_reconcile = false,
         updated_at = now()
       WHERE outbox_id = $1 AND lease_token = $5`,
      [row.outbox_id, status, messageSid, note, row.lease_token],
    );
    return (result.rowCount ?? 0) > 0;
  }
}
