import type pg from 'pg';
import { DueWorker, msUntilDue } from '../db/due-work-loop.ts';
import { newEvent } from '../events/new-event.ts';
import type { LeadlineEvent } from '../events/catalogue.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { maskPhonesIn } from '../shared/phone.ts';
import { CALLS_CHANNEL } from './call-queue.ts';
import type { CallTransport } from './call-transport.ts';
import { SmsSendError } from './sms-transport.ts';
import { callBackWhisperTwiml } from '../rules/voice-responses.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';

/** What the call placer needs. */
export interface CallPlacerOptions {
  url: string;
  pool: pg.Pool;
  log: EventLog;
  /** Absent in dry-run mode: every call-back is recorded as not placed (`dry-run`). */
  transport: CallTransport | undefined;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
  /** How long a claim lasts (ms); a claim older than this is an attempt of unknown outcome. */
  leaseMs: number;
  /** Attempts when Twilio cannot be reached at all (nothing left the machine). Default 3. */
  maxAttempts?: number;
  /**
   * The `<Gather action>` of a call-back's whisper (`/twilio/voice/call-back?…`, which Twilio
   * signs): where the staff member's key press goes.
   */
  connectUrl: (row: { tenantId: string; callbackId: string; leadPhone: string }) => string;
}

interface CallRow {
  callback_id: string;
  tenant_id: string;
  stream_id: string;
  lead_phone: string;
  staff_phone: string;
  from_number: string;
  traceparent: string | null;
  attempts: number;
  call_sid: string | null;
}

const COLUMNS =
  'callback_id, tenant_id, stream_id, lead_phone, staff_phone, from_number, traceparent, attempts, call_sid';

/**
 * Places call-backs (`outbound_calls`) through the voice provider: claims due rows
 * (`FOR UPDATE SKIP LOCKED`, a lease), asks Twilio's Calls API to ring the staff phone with a
 * whisper ("press 1 to call your customer": only then is the lead dialled, from the business
 * number, by `/twilio/voice/call-back`), stores the `CallSid`, then appends
 * `CallBackPlaced` to the lead's stream. A person's phone must never ring twice for one
 * request, so only a failure before the request left (connection refused) is tried again, up
 * to `maxAttempts` times with backoff; a 4xx is `refused`; a timeout, a reset or a 5xx after
 * the request left is `uncertain` and not tried again; so is a claim whose lease ran out (its
 * placer died mid-request), unless its `CallSid` was stored, which means it was placed. Each
 * outcome event is keyed by the call-back id, so it is in the log once.
 */
export class CallPlacer extends DueWorker {
  constructor(private readonly options: CallPlacerOptions) {
    super(options.url, CALLS_CHANNEL, options.pollIntervalMs, options.logger);
  }

  protected async doDue(): Promise<number> {
    return (await this.settleExpired()) + (await this.placeDue());
  }

  /** Claims due call-backs and places each. @returns how many were handled. */
  async placeDue(): Promise<number> {
    const { rows } = await this.options.pool.query<CallRow>(
      `UPDATE outbound_calls c SET status = 'placing', attempts = attempts + 1,
         lease_until = now() + $1::int * interval '1 millisecond', updated_at = now()
        WHERE callback_id IN (
          SELECT callback_id FROM outbound_calls
           WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at LIMIT 5 FOR UPDATE SKIP LOCKED)
        RETURNING ${COLUMNS.split(', ')
          .map((c) => `c.${c}`)
          .join(', ')}`,
      [this.options.leaseMs],
    );
    await Promise.all(rows.map((row) => this.place(row)));
    return rows.length;
  }

  private async place(row: CallRow): Promise<void> {
    const { transport } = this.options;
    if (!transport) {
      await this.fail(row, 'dry-run', null, 'dry-run: no Twilio credentials, nothing was placed');
      return;
    }
    try {
      // The whisper in the tenant's language (English when the tenant cannot be read).
      const tenant = await tenantDirectory.get(this.options.pool, row.tenant_id).catch(() => null);
      const placed = await transport.placeCall({
        to: row.staff_phone,
        from: row.from_number,
        twiml: callBackWhisperTwiml(
          this.options.connectUrl({
            tenantId: row.tenant_id,
            callbackId: row.callback_id,
            leadPhone: row.lead_phone,
          }),
          tenant ?? undefined,
        ),
      });
      // Stored before the event: a crash in between is settled as placed, never re-placed.
      await this.options.pool.query(
        'UPDATE outbound_calls SET call_sid = $2, updated_at = now() WHERE callback_id = $1',
        [row.callback_id, placed.callSid],
      );
      await this.placed({ ...row, call_sid: placed.callSid });
    } catch (error) {
      const e =
        error instanceof SmsSendError ? error : new SmsSendError(String(error), false, null, true);
      const message = maskPhonesIn(e.message);
      if (e.permanent) return this.fail(row, 'refused', e.code, message);
      if (e.uncertain) return this.fail(row, 'uncertain', e.code, message);
      if (row.attempts >= (this.options.maxAttempts ?? 3)) {
        return this.fail(row, 'unreachable', e.code, message);
      }
      this.options.logger.warn(
        { callbackId: row.callback_id, attempt: row.attempts, err: message },
        'call-back not placed yet (Twilio unreachable); trying again',
      );
      await this.options.pool.query(
        `UPDATE outbound_calls SET status = 'pending', lease_until = NULL, last_error = $2,
           next_attempt_at = now() + $3::int * interval '1 millisecond', updated_at = now()
          WHERE callback_id = $1`,
        [row.callback_id, message, 1_000 * 2 ** row.attempts],
      );
    }
  }

  /**
   * Settles claims whose lease ran out: placed if a `CallSid` was stored, else uncertain.
   * @returns how many were settled.
   */
  private async settleExpired(): Promise<number> {
    const { rows } = await this.options.pool.query<CallRow>(
      `SELECT ${COLUMNS} FROM outbound_calls
        WHERE status = 'placing' AND lease_until < now() LIMIT 20`,
    );
    for (const row of rows) {
      if (row.call_sid) await this.placed(row);
      else {
        await this.fail(row, 'uncertain', null, 'the placer stopped while asking Twilio');
      }
    }
    return rows.length;
  }

  private async placed(row: CallRow): Promise<void> {
    await this.record(row, {
      type: 'CallBackPlaced',
      data: { callbackId: row.callback_id, callSid: row.call_sid!, staffPhone: row.staff_phone },
    });
    await this.options.pool.query(
      `UPDATE outbound_calls SET status = 'placed', lease_until = NULL, updated_at = now()
        WHERE callback_id = $1 AND status = 'placing'`,
      [row.callback_id],
    );
  }

  private async fail(
    row: CallRow,
    reason: 'dry-run' | 'refused' | 'unreachable' | 'uncertain',
    errorCode: string | null,
    errorMessage: string,
  ): Promise<void> {
    await this.record(row, {
      type: 'CallBackFailed',
      data: {
        callbackId: row.callback_id,
        staffPhone: row.staff_phone,
        reason,
        errorCode,
        errorMessage,
      },
    });
    await this.options.pool.query(
      `UPDATE outbound_calls SET status = 'failed', lease_until = NULL, last_error = $2,
         updated_at = now() WHERE callback_id = $1 AND status = 'placing'`,
      [row.callback_id, errorMessage],
    );
  }

  private async record(
    row: CallRow,
    outcome:
      | { type: 'CallBackPlaced'; data: Extract<LeadlineEvent, { type: 'CallBackPlaced' }>['data'] }
      | {
          type: 'CallBackFailed';
          data: Extract<LeadlineEvent, { type: 'CallBackFailed' }>['data'];
        },
  ): Promise<void> {
    await this.options.log.append([
      newEvent(
        {
          ...outcome,
          streamId: row.stream_id,
          tenantId: row.tenant_id,
          idempotencyKey: row.callback_id,
          correlationId: row.call_sid ?? row.callback_id,
          traceparent: row.traceparent,
        },
        this.options.clock,
      ),
    ]);
  }

  protected async nextDueInMs(): Promise<number> {
    const { rows } = await this.options.pool.query<{ ms: number | null }>(
      `SELECT (EXTRACT(EPOCH FROM (min(CASE WHEN status = 'pending'
                THEN next_attempt_at ELSE lease_until END) - now())) * 1000)::float8 AS ms
         FROM outbound_calls WHERE status IN ('pending', 'placing')`,
    );
    return msUntilDue(rows[0]?.ms);
  }
}
