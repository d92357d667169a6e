import type pg from 'pg';
import type { ConsumerLag } from '../log/consumer-lag.ts';
import type { EventLog } from '../log/event-log.ts';
import type { HorizonStatus } from '../log/log-horizon.ts';
import type { LogKind } from '../log/log-kinds.ts';

export type { ConsumerLag } from '../log/consumer-lag.ts';

/** What `leadline status` reports. */
export interface ServiceStatus {
  /** The log's name (`EventLog.about.kind`). */
  logBackend: LogKind;
  consumers: ConsumerLag[];
  /** Outbound texts by state: pending, deferred (quiet hours), retrying, sending, failed (7 days). */
  outbound: Record<string, number>;
  /** Durable timers not yet fired, and how many of those are overdue. */
  timers: { waiting: number; overdue: number };
  /**
   * Leads' texts waiting for the qualifying assistant's reading (`qualification_requests`):
   * waiting now, and given up in the last 7 days.
   */
  qualification: { waiting: number; failed: number };
  /** Whether a long transaction holds the log's readers back; null for a log without a horizon. */
  horizon: HorizonStatus | null;
}

/**
 * The service's state as operators read it (`leadline status`, the gauges of `/metrics`):
 * each consumer's lag against the head of the log in events and seconds (measured by the
 * log's adapter, `EventLog.consumerLag`), the outbound queue by state, timers, texts waiting
 * for the qualifying assistant, and whether a
 * long transaction holds the log's readers back (`EventLog.horizon`).
 * @param db the database of the outbox and timers.
 * @throws Error when the database or the log cannot be reached.
 */
export async function serviceStatus(
  db: pg.Pool,
  log: EventLog,
  consumers: string[],
): Promise<ServiceStatus> {
  const lag = await log.consumerLag(consumers);
  const outbound = await db.query<{ state: string; n: number }>(
    `SELECT CASE WHEN status = 'pending' AND deferred_until IS NOT NULL AND next_attempt_at > now() THEN 'deferred'
                 WHEN status = 'pending' AND attempts > 0 THEN 'retrying'
                 ELSE status END AS state, count(*)::int AS n
       FROM outbound_messages
      WHERE status IN ('pending', 'sending') OR (status = 'failed' AND updated_at > now() - interval '7 days')
      GROUP BY 1`,
  );
  const timers = await db.query<{ waiting: number; overdue: number }>(
    `SELECT count(*)::int AS waiting, count(*) FILTER (WHERE due_at <= now())::int AS overdue
       FROM timers WHERE fired_at IS NULL`,
  );
  const qualification = await db.query<{ waiting: number; failed: number }>(
    `SELECT count(*) FILTER (WHERE status IN ('pending', 'assessing'))::int AS waiting,
            count(*) FILTER (WHERE status = 'failed' AND updated_at > now() - interval '7 days')::int AS failed
       FROM qualification_requests WHERE status <> 'done'`,
  );
  return {
    logBackend: log.about.kind,
    consumers: lag,
    outbound: Object.fromEntries(outbound.rows.map((r) => [r.state, r.n])),
    timers: timers.rows[0] ?? { waiting: 0, overdue: 0 },
    qualification: qualification.rows[0] ?? { waiting: 0, failed: 0 },
    horizon: await log.horizon(),
  };
}
