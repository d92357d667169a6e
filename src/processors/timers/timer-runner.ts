import type pg from 'pg';
import { DueWorker, msUntilDue } from '../../db/due-work-loop.ts';
import { withTransaction } from '../../db/transaction.ts';
import type { EventData } from '../../events/catalogue.ts';
import { newEvent } from '../../events/new-event.ts';
import type { EventLog } from '../../log/event-log.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import { TIMERS_CHANNEL } from './timers.ts';

/** What the timer runner needs. */
export interface TimerRunnerOptions {
  url: string;
  pool: pg.Pool;
  log: EventLog;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
}

interface TimerRow {
  timer_id: string;
  tenant_id: string;
  stream_id: string;
  kind: EventData<'TimerElapsed'>['kind'];
  key: string;
  due_at: Date;
  traceparent: string | null;
}

/**
 * Fires durable timers: appends `TimerElapsed` to each due timer's stream, then marks it
 * fired, holding the row locked (`FOR UPDATE SKIP LOCKED`, so several workers share timers
 * and a processor moving the timer waits). The event id derives from the timer id, so a
 * crash between the append and the mark appends nothing new when the timer is fired again:
 * each timer fires exactly once in the log.
 */
export class TimerRunner extends DueWorker {
  constructor(private readonly options: TimerRunnerOptions) {
    super(options.url, TIMERS_CHANNEL, options.pollIntervalMs, options.logger);
  }

  protected doDue(): Promise<number> {
    return this.fireDue();
  }

  /** Fires one batch of due timers. @returns how many fired. */
  async fireDue(): Promise<number> {
    return withTransaction(this.options.pool, async (client) => {
      const { rows } = await client.query<TimerRow>(
        `SELECT timer_id, tenant_id, stream_id, kind, key, due_at, traceparent FROM timers
        WHERE fired_at IS NULL AND due_at <= now()
        ORDER BY due_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length > 0) {
        await this.options.log.append(
          rows.map((t) =>
            newEvent(
              {
                type: 'TimerElapsed',
                streamId: t.stream_id,
                tenantId: t.tenant_id,
                data: {
                  timerId: t.timer_id,
                  kind: t.kind,
                  key: t.key,
                  dueAt: t.due_at.toISOString(),
                },
                idempotencyKey: t.timer_id,
                traceparent: t.traceparent,
              },
              this.options.clock,
            ),
          ),
        );
        await client.query('UPDATE timers SET fired_at = now() WHERE timer_id = ANY($1)', [
          rows.map((t) => t.timer_id),
        ]);
      }
      return rows.length;
    });
  }

  protected async nextDueInMs(): Promise<number> {
    const { rows } = await this.options.pool.query<{ ms: number | null }>(
      `SELECT (EXTRACT(EPOCH FROM (min(due_at) - now())) * 1000)::float8 AS ms
         FROM timers WHERE fired_at IS NULL`,
    );
    return msUntilDue(rows[0]?.ms);
  }
}
