import type { EventData } from '../../events/catalogue.ts';
import type { ConsumerContext } from '../../log/event-log.ts';
import { activeTraceparent } from '../../telemetry/trace-context.ts';
import type { Write } from '../../db/combined-writes.ts';

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
 * The write that sets or moves timers inside a processor's transaction (so they commit with
 * its checkpoint), combined with its other writes (`runWrites`); the timer loop is notified
 * (`TIMERS_CHANNEL`) at commit when a timer is set or moved. A timer that already fired is
 * not set again: its `TimerElapsed` is in the log. A timer set more than once in the batch is
 * written once, as the last setting left it (its due time; the last trace context given), as
 * one setting per owner in order would. A timer keeps the trace context of the span that set
 * (or last moved) it; its `TimerElapsed` continues that trace. Undefined when no timer is
 * asked for, and in replay mode: the `TimerElapsed` events of the past are already in the
 * log, and a replay must not cause new ones (design §4).
 */
export function timersWrite(
  ctx: ConsumerContext,
  owned: ReadonlyArray<{
    owner: { tenantId: string; streamId: string };
    timers: readonly TimerRequest[];
  }>,
): Write | undefined {
  if (ctx.replay) return undefined;
  const traceparent = activeTraceparent() ?? null;
  const byId = new Map<string, TimerRequest & { tenantId: string; streamId: string }>();
  for (const { owner, timers } of owned) {
    for (const t of timers) byId.set(t.timerId, { ...t, ...owner });
  }
  if (byId.size === 0) return undefined;
  const rows = [...byId.values()];
  return {
    insert: `INSERT INTO timers (timer_id, tenant_id, stream_id, kind, key, due_at, traceparent)
     SELECT t.*, $7::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
       $5::text[], $6::timestamptz[]) AS t
     ON CONFLICT (timer_id) DO UPDATE SET due_at = EXCLUDED.due_at,
       traceparent = COALESCE(EXCLUDED.traceparent, timers.traceparent)
     WHERE timers.fired_at IS NULL`,
    values: [
      rows.map((t) => t.timerId),
      rows.map((t) => t.tenantId),
      rows.map((t) => t.streamId),
      rows.map((t) => t.kind),
      rows.map((t) => t.key),
      rows.map((t) => t.dueAt),
      traceparent,
    ],
    channel: TIMERS_CHANNEL,
  };
}
