import type { EventData } from '../../events/catalogue.ts';
import type { ConsumerContext } from '../../log/event-log.ts';
import { activeTraceparent } from '../../telemetry/trace-context.ts';

/** The channel the timers table NOTIFYs when a timer is set; the runner listens on it. */
export const TIMERS_CHANNEL = 'leadline_timers';

/** A processor's request to be told, by a `TimerElapsed` event on `streamId`, at `dueAt`. */
export interface TimerRequest {
  /** Stable per thing timed, e.g. `owner-alert-batch:<stream>:<batch>`; setting it again moves it. */
  timerId: string;
  kind: EventData<'TimerElapsed'>['kind'];
  key: string;
  /** UTC ISO-8601. */
  dueAt: string;
}

/**
 * Sets or moves timers inside the consumer's transaction (so they commit with its
 * checkpoint). A timer that already fired is not set again: its `TimerElapsed` is in the
 * log. Replay mode sets nothing: the `TimerElapsed` events of the past are already in the
 * log, and a replay must not cause new ones (design §4). A timer keeps the trace context of
 * the span that set (or last moved) it; its `TimerElapsed` continues that trace.
 */
export async function setTimers(
  ctx: ConsumerContext,
  owner: { tenantId: string; streamId: string },
  timers: TimerRequest[],
): Promise<void> {
  if (timers.length === 0 || ctx.replay) return;
  for (const t of timers) {
    await ctx.db.query(
      `INSERT INTO timers (timer_id, tenant_id, stream_id, kind, key, due_at, traceparent)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (timer_id) DO UPDATE SET due_at = EXCLUDED.due_at,
         traceparent = COALESCE(EXCLUDED.traceparent, timers.traceparent)
       WHERE timers.fired_at IS NULL`,
      [
        t.timerId,
        owner.tenantId,
        owner.streamId,
        t.kind,
        t.key,
        t.dueAt,
        activeTraceparent() ?? null,
      ],
    );
  }
  await ctx.db.query(`SELECT pg_notify('${TIMERS_CHANNEL}', '')`);
}
