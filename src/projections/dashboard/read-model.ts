import { qualificationSummary } from '../../rules/message-copy.ts';
import type { LeadQualificationView } from './dashboard-fold.ts';
import { DateTime } from 'luxon';
import type pg from 'pg';
import { consentTimeline, revocationCount } from '../../consent/index.ts';
import { leadScore, type LeadFacts } from '../../rules/lead-score.ts';
import { ValidationError } from '../../shared/errors.ts';
import { checkPeriod, parseBoundedDate, parseBoundedInstant } from '../../shared/time-bounds.ts';

/** A period in a tenant's zone: `[from, to)` as UTC instants, and the local dates asked. */
export interface Period {
  from: string;
  to: string;
  localFrom: string;
  localTo: string;
}

/**
 * The UTC bounds of local dates `[fromDate, toDate]` (inclusive, `YYYY-MM-DD`) in `timezone`;
 * today when absent (one end alone is a one-day period). DST-correct (a day may last 23 or
 * 25 hours). Dates are bounded (`shared/time-bounds.ts`): 2000-01-01 to 2100-12-31, at most
 * 366 days in one period.
 * @throws ValidationError (`INVALID_DATE`) for a date that is not a real `YYYY-MM-DD`, is
 *   outside the bounds, or a range that ends before it starts or is longer than 366 days.
 */
export function periodIn(timezone: string, now: Date, fromDate?: string, toDate?: string): Period {
  const today = DateTime.fromJSDate(now, { zone: timezone }).toISODate()!;
  const localFrom = parseBoundedDate('from', fromDate ?? toDate ?? today);
  const localTo = parseBoundedDate('to', toDate ?? fromDate ?? today);
  checkPeriod(localFrom, localTo);
  const start = DateTime.fromISO(localFrom, { zone: timezone }).startOf('day');
  const end = DateTime.fromISO(localTo, { zone: timezone }).startOf('day');
  return {
    from: start.toUTC().toISO()!,
    to: end.plus({ days: 1 }).toUTC().toISO()!,
    localFrom,
    localTo,
  };
}

/** The summary counts of a tenant's period. */
export interface Summary {
  period: Period;
  calls: number;
  answered: number;
  missed: number;
  /**
   * Texts to leads: sent (handed to Twilio), delivered, failed; `dryRun`: decided and ready to
   * go but withheld because the service runs with `SEND_MODE=dry-run` (what would have been
   * sent).
   */
  texts: { sent: number; delivered: number; failed: number; dryRun: number };
  replies: number;
  optedOut: number;
  emergencies: number;
  /** Seconds from a missed call to the first text: median and 90th percentile; null: none. */
  responseSeconds: { median: number | null; p90: number | null };
}

/** The summary counts of `tenantId` over `period` (see {@link Summary}). */
export async function readSummary(db: pg.Pool, tenantId: string, period: Period): Promise<Summary> {
  // One pass over each dashboard table (FILTER clauses), on the (tenant_id, time) indexes;
  // opt-outs are counted on the consent ledger.
  const { rows } = await db.query(
    `WITH c AS (
        SELECT count(*)::int AS calls,
               count(*) FILTER (WHERE outcome = 'answered')::int AS answered,
               count(*) FILTER (WHERE outcome IN ('missed', 'after-hours'))::int AS missed,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_text_at - received_at))
                 FILTER (WHERE first_text_at IS NOT NULL) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_text_at - received_at))
                 FILTER (WHERE first_text_at IS NOT NULL) AS p90
          FROM dashboard_calls WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3),
     m AS (
        SELECT count(*) FILTER (WHERE direction = 'outbound' AND audience = 'lead'
                 AND status NOT LIKE 'withheld%' AND status NOT IN ('failed', 'undelivered'))::int AS sent,
               count(*) FILTER (WHERE direction = 'outbound' AND audience = 'lead'
                 AND status IN ('delivered', 'read'))::int AS delivered,
               count(*) FILTER (WHERE direction = 'outbound' AND audience = 'lead'
                 AND status IN ('failed', 'undelivered'))::int AS failed,
               count(*) FILTER (WHERE direction = 'outbound' AND audience = 'lead'
                 AND status = 'withheld:dry-run')::int AS dry_run,
               count(*) FILTER (WHERE direction = 'inbound' AND urgency IS NOT NULL)::int AS replies,
               count(*) FILTER (WHERE direction = 'inbound' AND urgency = 'EMERGENCY')::int AS emergencies
          FROM dashboard_messages WHERE tenant_id = $1 AND at >= $2 AND at < $3)
     SELECT * FROM c, m`,
    [tenantId, period.from, period.to],
  );
  const r = rows[0];
  const seconds = (v: number | null) => (v === null ? null : Math.round(Number(v) * 10) / 10);
  return {
    period,
    calls: r.calls,
    answered: r.answered,
    missed: r.missed,
    texts: { sent: r.sent, delivered: r.delivered, failed: r.failed, dryRun: r.dry_run },
    replies: r.replies,
    optedOut: await revocationCount(db, tenantId, period),
    emergencies: r.emergencies,
    responseSeconds: { median: seconds(r.median), p90: seconds(r.p90) },
  };
}

/** The missed-call funnel of a period: how many leads reached each step. */
export interface Funnel {
  period: Period;
  missedCall: number;
  texted: number;
  /** Of the missed-call leads not texted, those a text was withheld from only by dry-run. */
  textedDryRun: number;
  replied: number;
  booked: number;
}

/**
 * The funnel of `tenantId` over `period`: leads (numbers) with a missed call in the period;
 * of those, texted about it; of those, who wrote back after the call; of those, booked.
 */
export async function readFunnel(db: pg.Pool, tenantId: string, period: Period): Promise<Funnel> {
  const { rows } = await db.query(
    `WITH missed AS (
        SELECT phone, min(received_at) AS first_missed, bool_or(first_text_at IS NOT NULL) AS texted
          FROM dashboard_calls
         WHERE tenant_id = $1 AND received_at >= $2 AND received_at < $3
           AND outcome IN ('missed', 'after-hours')
         GROUP BY phone),
     dry_run AS (
        SELECT DISTINCT m.phone FROM missed
          JOIN dashboard_messages m ON m.tenant_id = $1 AND m.phone = missed.phone
           AND m.direction = 'outbound' AND m.audience = 'lead' AND m.status = 'withheld:dry-run'
           AND m.at >= missed.first_missed
         WHERE NOT missed.texted),
     replied AS (
        SELECT DISTINCT m.phone FROM missed
          JOIN dashboard_messages m ON m.tenant_id = $1 AND m.phone = missed.phone
           AND m.direction = 'inbound' AND m.urgency IS NOT NULL AND m.at > missed.first_missed)
     SELECT count(*)::int AS missed,
            count(*) FILTER (WHERE texted)::int AS texted,
            (SELECT count(*)::int FROM dry_run) AS texted_dry_run,
            count(*) FILTER (WHERE texted AND r.phone IS NOT NULL)::int AS replied,
            count(*) FILTER (WHERE texted AND r.phone IS NOT NULL AND l.status = 'booked')::int AS booked
       FROM missed
       LEFT JOIN replied r ON r.phone = missed.phone
       LEFT JOIN dashboard_leads l ON l.tenant_id = $1 AND l.phone = missed.phone`,
    [tenantId, period.from, period.to],
  );
  const r = rows[0];
  return {
    period,
    missedCall: r.missed,
    texted: r.texted,
    textedDryRun: r.texted_dry_run,
    replied: r.replied,
    booked: r.booked,
  };
}

/** A lead as the list shows it. */
export interface LeadSummary {
  phone: string;
  status: LeadFacts['status'];
  intent: 'EMERGENCY' | 'STANDARD' | null;
  score: number;
  firstSeenAt: string;
  lastContactAt: string;
  calls: number;
  missedCalls: number;
  messagesIn: number;
  messagesOut: number;
  optedOut: boolean;
  /** What the qualifying assistant learned (issue 16); null: not assessed yet. */
  qualification: LeadQualificationView | null;
  /** The qualified lead's postal code is outside the service area. */
  outsideArea: boolean;
  /** The qualification as the owner's alert puts it (`Burst pipe · 12 Oak St M4C · …`). */
  summary: string | null;
}

/** One page of leads and the cursor of the next (null at the end). */
export interface LeadPage {
  leads: LeadSummary[];
  nextCursor: string | null;
}

const encodeCursor = (at: Date, phone: string) =>
  Buffer.from(`${at.toISOString()}|${phone}`).toString('base64url');
/**
 * The position a cursor names: the last contact (UTC ISO-8601, as {@link encodeCursor} wrote
 * it, within the API's time bounds) and the lead's phone number (`+digits`).
 * @throws ValidationError (`INVALID_CURSOR`) for anything else.
 */
function decodeCursor(cursor: string): [string, string] {
  const [at, phone, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const invalid = () =>
    new ValidationError('cursor is not one this API returned', 'INVALID_CURSOR');
  // Lead phones are `+digits` (`parseLeadStreamId`).
  if (!at || !phone || rest.length > 0 || !/^\+\d{1,20}$/.test(phone)) throw invalid();
  let normalised: string | undefined;
  try {
    normalised = parseBoundedInstant('cursor', at);
  } catch {
    // not an instant, or out of bounds: refused below
  }
  if (normalised !== at) throw invalid();
  return [at, phone];
}

/**
 * A page of `tenantId`'s leads, most recent contact first, optionally only those in `status`
 * or whose number contains the digits of `search`; `cursor` continues a previous page (stable
 * under new activity: it is a position, not an offset).
 * @throws ValidationError (`INVALID_CURSOR`) for a cursor this API did not return.
 */
export async function readLeads(
  db: pg.Pool,
  tenantId: string,
  options: {
    status?: string;
    search?: string;
    /** true: only leads outside the service area; false: only those inside (or unknown). */
    outsideArea?: boolean;
    cursor?: string;
    limit: number;
    now: Date;
  },
): Promise<LeadPage> {
  const after = options.cursor ? decodeCursor(options.cursor) : null;
  const digits = options.search?.replace(/\D/g, '') || null;
  const { rows } = await db.query(
    `SELECT phone, status, intent, first_seen_at, last_contact_at, calls, missed_calls,
            messages_in, messages_out, opted_out, emergencies, qualification, outside_area
       FROM dashboard_leads
      WHERE tenant_id = $1
        AND ($2::text IS NULL OR status = $2)
        AND ($3::text IS NULL OR phone LIKE '%' || $3 || '%')
        AND ($4::timestamptz IS NULL OR (last_contact_at, phone) < ($4, $5))
        AND ($7::boolean IS NULL OR outside_area = $7)
      ORDER BY last_contact_at DESC, phone DESC
      LIMIT $6`,
    [
      tenantId,
      options.status ?? null,
      digits,
      after?.[0] ?? null,
      after?.[1] ?? null,
      options.limit + 1,
      options.outsideArea ?? null,
    ],
  );
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    leads: page.map((r) => ({
      phone: r.phone,
      status: r.status,
      intent: r.intent,
      score: leadScore({
        status: r.status,
        optedOut: r.opted_out,
        missedCalls: r.missed_calls,
        messagesIn: r.messages_in,
        emergencies: r.emergencies,
        hoursSinceContact: (options.now.getTime() - r.last_contact_at.getTime()) / 3_600_000,
        qualification: r.qualification,
      }),
      firstSeenAt: r.first_seen_at.toISOString(),
      lastContactAt: r.last_contact_at.toISOString(),
      calls: r.calls,
      missedCalls: r.missed_calls,
      messagesIn: r.messages_in,
      messagesOut: r.messages_out,
      optedOut: r.opted_out,
      qualification: publicQualification(r.qualification),
      outsideArea: r.outside_area,
      summary: r.qualification ? qualificationSummary(r.qualification, r.outside_area) : null,
    })),
    nextCursor:
      rows.length > options.limit && last ? encodeCursor(last.last_contact_at, last.phone) : null,
  };
}

/** The qualification as the API shows it (without the internal request id). */
function publicQualification(
  view: (LeadQualificationView & { requestId?: string }) | null,
): LeadQualificationView | null {
  if (!view) return null;
  const { requestId: _internal, ...shown } = view;
  return shown as LeadQualificationView;
}

/**
 * `tenantId`'s lead `phone`: its qualification (issue 16) and whether it is outside the
 * service area; null when it is no lead of the tenant.
 */
export async function readLeadQualification(
  db: pg.Pool,
  tenantId: string,
  phone: string,
): Promise<{ qualification: LeadQualificationView | null; outsideArea: boolean } | null> {
  const { rows } = await db.query<{
    qualification: LeadQualificationView | null;
    outside_area: boolean;
  }>(
    'SELECT qualification, outside_area FROM dashboard_leads WHERE tenant_id = $1 AND phone = $2',
    [tenantId, phone],
  );
  const row = rows[0];
  if (!row) return null;
  return { qualification: publicQualification(row.qualification), outsideArea: row.outside_area };
}

/**
 * Whether `phone` (E.164) is a lead of `tenantId` in the dashboard read model: a number that
 * called or texted the tenant (a row in `dashboard_leads`). Another tenant's lead is not.
 * The model lags the log by the projection's lag, so a lead whose first call is a moment old
 * may not be here yet.
 */
/**
 * True when `recordingSid` is a voicemail the tenant's lead `phone` left (so its audio may be
 * fetched for this tenant's key, and for no other).
 */
export async function voicemailOf(
  db: pg.Pool,
  tenantId: string,
  phone: string,
  recordingSid: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM dashboard_messages
      WHERE tenant_id = $1 AND message_key = $2 AND phone = $3 AND purpose = 'voicemail'`,
    [tenantId, recordingSid, phone],
  );
  return (rowCount ?? 0) > 0;
}

export async function leadExists(db: pg.Pool, tenantId: string, phone: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM dashboard_leads WHERE tenant_id = $1 AND phone = $2',
    [tenantId, phone],
  );
  return (rowCount ?? 0) > 0;
}

/** One entry of a lead's timeline. */
export interface TimelineEntry {
  at: string;
  kind:
    | 'call'
    | 'call-back'
    | 'voicemail'
    | 'text-in'
    | 'text-out'
    | 'alert'
    | 'consent'
    | 'qualification';
  summary: string;
  status: string | null;
  body: string | null;
  /**
   * A voicemail's `RecordingSid`: its audio is at
   * `/api/v1/leads/{phone}/voicemails/{recordingSid}`. Null for everything else.
   */
  recordingSid: string | null;
}

/**
 * One lead's conversation, oldest first: calls (with outcome), call-backs through the
 * business number (`outbound_calls`: pending, placing, placed or failed, with the reason),
 * texts both ways (with delivery status; a staff member's reply is `staff-reply`),
 * voicemails (transcript as body, `recordingSid` for the audio), owner alerts about the lead,
 * consent changes, and the moment the assistant qualified the lead (its one-line summary as
 * body; status `complete`, or `partial` when something stayed unknown).
 */
export async function readTimeline(
  db: pg.Pool,
  tenantId: string,
  phone: string,
): Promise<TimelineEntry[]> {
  const { rows } = await db.query<TimelineEntry & { at: Date }>(
    `SELECT received_at AS at, 'call' AS kind,
            'call (' || mode || '): ' || outcome || COALESCE(' / ' || dial_call_status, '') AS summary,
            outcome AS status, NULL AS body, NULL AS "recordingSid"
       FROM dashboard_calls WHERE tenant_id = $1 AND phone = $2
     UNION ALL
     SELECT at, CASE WHEN purpose = 'voicemail' THEN 'voicemail'
                     WHEN direction = 'inbound' THEN 'text-in'
                     WHEN audience = 'owner' THEN 'alert' ELSE 'text-out' END,
            COALESCE(purpose, CASE WHEN direction = 'inbound' THEN 'text from the lead' END)
              || COALESCE(' (' || urgency || ')', ''),
            status, body, CASE WHEN purpose = 'voicemail' THEN message_sid END
       FROM dashboard_messages WHERE tenant_id = $1 AND phone = $2
     UNION ALL
     SELECT created_at, 'call-back', 'call-back through the business number', status,
            last_error, NULL
       FROM outbound_calls WHERE tenant_id = $1 AND lead_phone = $2
     ORDER BY at, kind`,
    [tenantId, phone],
  );
  const consent = (await consentTimeline(db, tenantId, phone)).map((c) => ({
    at: c.at,
    kind: 'consent' as const,
    summary: c.summary,
    status: c.kind,
    body: c.text,
    recordingSid: null,
  }));
  const qualified = await readLeadQualification(db, tenantId, phone);
  const q = qualified?.qualification;
  const qualification =
    q?.qualified && q.qualifiedAt
      ? [
          {
            at: new Date(q.qualifiedAt),
            kind: 'qualification' as const,
            summary: 'qualified by the assistant',
            status: q.missing.length === 0 ? 'complete' : 'partial',
            body: qualificationSummary(q, q.outsideArea),
            recordingSid: null,
          },
        ]
      : [];
  // Ordered by (at, kind) like the query; the sort is stable, so each source keeps its order.
  return [...rows, ...consent, ...qualification]
    .sort(
      (a, b) => a.at.getTime() - b.at.getTime() || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
    )
    .map((r) => ({ ...r, at: r.at.toISOString() }));
}

/** A text in the outbound queue. */
export interface QueueItem {
  outboxId: string;
  state: 'pending' | 'deferred' | 'retrying' | 'sending' | 'failed';
  audience: string;
  purpose: string;
  to: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
}

/**
 * The live outbound queue of `tenantId`: texts not yet sent (pending, deferred by quiet
 * hours, retrying after a failure, being sent) and those that failed in the last 7 days,
 * next due first.
 */
export async function readQueue(db: pg.Pool, tenantId: string): Promise<QueueItem[]> {
  const { rows } = await db.query(
    `SELECT outbox_id, status, audience, purpose, to_number, attempts, next_attempt_at,
            last_error, created_at, deferred_until
       FROM outbound_messages
      WHERE tenant_id = $1
        AND (status IN ('pending', 'sending')
             OR (status = 'failed' AND updated_at > now() - interval '7 days'))
      ORDER BY status = 'failed', next_attempt_at
      LIMIT 500`,
    [tenantId],
  );
  return rows.map((r) => ({
    outboxId: r.outbox_id,
    state:
      r.status === 'failed'
        ? 'failed'
        : r.status === 'sending'
          ? 'sending'
          : r.deferred_until && r.next_attempt_at > new Date()
            ? 'deferred'
            : r.attempts > 0
              ? 'retrying'
              : 'pending',
    audience: r.audience,
    purpose: r.purpose,
    to: r.to_number,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at.toISOString(),
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
  }));
}
