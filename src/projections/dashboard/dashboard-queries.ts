import type pg from 'pg';
import { readLeads, type LeadSummary } from './read-model.ts';

/** Counters of one tenant's dashboard. */
export interface DashboardTotals {
  calls: number;
  answered: number;
  missed: number;
  afterHours: number;
  leads: number;
  optedOut: number;
  textsIn: number;
  textsToLeads: number;
  alertsToOwner: number;
  /** Outbound texts by status (`sent`, `queued`, `delivered`, `withheld:dry-run`, `failed`, …). */
  outboundByStatus: Record<string, number>;
}

/** The `GET /api/v1/dashboard` view of one tenant: totals and the most recent activity. */
export interface TenantDashboard {
  totals: DashboardTotals;
  /** Numbers that have opted out of texts (E.164), most recent contact first. */
  optedOutNumbers: string[];
  /** The most recent leads, as the lead list shows them (one read path: `readLeads`). */
  leads: LeadSummary[];
  calls: Array<{
    callSid: string;
    phone: string;
    receivedAt: string;
    mode: string;
    outcome: string;
    dialCallStatus: string | null;
  }>;
  messages: Array<{
    direction: string;
    audience: string | null;
    purpose: string | null;
    phone: string;
    to: string;
    body: string;
    status: string;
    messageSid: string | null;
    error: string | null;
    at: string;
  }>;
}

const iso = (d: Date) => d.toISOString();

/**
 * Reads one tenant's dashboard from the projection: totals over all time and the `limit`
 * most recent leads (scored as of `now`), calls and messages (newest first).
 */
export async function readTenantDashboard(
  db: pg.Pool,
  tenantId: string,
  now: Date,
  limit = 50,
): Promise<TenantDashboard> {
  const [calls, leads, messages, recentLeads, recentCalls, recentMessages, optedOut] =
    await Promise.all([
      db.query<{ outcome: string; n: number }>(
        'SELECT outcome, count(*)::int n FROM dashboard_calls WHERE tenant_id = $1 GROUP BY outcome',
        [tenantId],
      ),
      db.query<{ leads: number; opted_out: number }>(
        'SELECT count(*)::int leads, count(*) FILTER (WHERE opted_out)::int opted_out FROM dashboard_leads WHERE tenant_id = $1',
        [tenantId],
      ),
      db.query<{ direction: string; audience: string | null; status: string; n: number }>(
        `SELECT direction, audience, status, count(*)::int n FROM dashboard_messages WHERE tenant_id = $1
        GROUP BY direction, audience, status`,
        [tenantId],
      ),
      limit > 0 ? readLeads(db, tenantId, { limit, now }) : { leads: [] },
      db.query(
        `SELECT call_sid, phone, received_at, mode, outcome, dial_call_status FROM dashboard_calls
        WHERE tenant_id = $1 ORDER BY received_at DESC LIMIT $2`,
        [tenantId, limit],
      ),
      db.query(
        `SELECT direction, audience, purpose, phone, counterpart, body, status, message_sid, error, at
         FROM dashboard_messages WHERE tenant_id = $1 ORDER BY at DESC, message_key LIMIT $2`,
        [tenantId, limit * 2],
      ),
      db.query<{ phone: string }>(
        `SELECT phone FROM dashboard_leads WHERE tenant_id = $1 AND opted_out
        ORDER BY last_contact_at DESC LIMIT 1000`,
        [tenantId],
      ),
    ]);
  const byOutcome = Object.fromEntries(calls.rows.map((r) => [r.outcome, r.n]));
  const outboundByStatus: Record<string, number> = {};
  let textsIn = 0;
  let textsToLeads = 0;
  let alertsToOwner = 0;
  for (const r of messages.rows) {
    if (r.direction === 'inbound') {
      textsIn += r.n;
      continue;
    }
    outboundByStatus[r.status] = (outboundByStatus[r.status] ?? 0) + r.n;
    if (r.audience === 'lead') textsToLeads += r.n;
    else alertsToOwner += r.n;
  }
  const totalCalls = calls.rows.reduce((sum, r) => sum + r.n, 0);
  return {
    totals: {
      calls: totalCalls,
      answered: byOutcome.answered ?? 0,
      missed: byOutcome.missed ?? 0,
      afterHours: byOutcome['after-hours'] ?? 0,
      leads: leads.rows[0]?.leads ?? 0,
      optedOut: leads.rows[0]?.opted_out ?? 0,
      textsIn,
      textsToLeads,
      alertsToOwner,
      outboundByStatus,
    },
    optedOutNumbers: optedOut.rows.map((r) => r.phone),
    leads: recentLeads.leads,
    calls: recentCalls.rows.map((r) => ({
      callSid: r.call_sid,
      phone: r.phone,
      receivedAt: iso(r.received_at),
      mode: r.mode,
      outcome: r.outcome,
      dialCallStatus: r.dial_call_status,
    })),
    messages: recentMessages.rows.map((r) => ({
      direction: r.direction,
      audience: r.audience,
      purpose: r.purpose,
      phone: r.phone,
      to: r.counterpart,
      body: r.body,
      status: r.status,
      messageSid: r.message_sid,
      error: r.error,
      at: iso(r.at),
    })),
  };
}
