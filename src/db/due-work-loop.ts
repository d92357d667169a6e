import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../shared/logger.ts';
import { Wakeups } from './wakeups.ts';

/**
 * Milliseconds until the next item falls due, from a `nextDueInMs` query's `ms` column
 * (`EXTRACT(EPOCH FROM (min(due) - now())) * 1000`): `Infinity` when nothing is waiting (the
 * aggregate is NULL), 0 when an item is already due. The clamp is done here, not in SQL:
 * PostgreSQL's `GREATEST(0, NULL)` is 0, not NULL (it ignores NULL arguments), which made
 * every idle loop poll without pause.
 */
export function msUntilDue(ms: number | null | undefined): number {
  return ms === null || ms === undefined ? Number.POSITIVE_INFINITY : Math.max(0, ms);
}

/**
 * A background worker over a table of due work (the outbound sender, the timer runner): do
 * what is due; when nothing was, sleep until the next item falls due, a `NOTIFY` on
 * `channel`, or `pollIntervalMs`, whichever comes first. Errors (a database restart, say)
 * are logged and retried with backoff from 200 ms to 30 s; the loop only ends on `stop()`.
 */
export abstract class DueWorker {
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly wakeups: Wakeups;

  protected constructor(
    url: string,
    channel: string,
    private readonly pollIntervalMs: number,
    private readonly logger: Logger,
  ) {
    this.wakeups = new Wakeups(url, channel, logger);
  }

  /** Does one batch of due work. @returns how many items it handled. */
  protected abstract doDue(): Promise<number>;

  /** Milliseconds until the next item falls due (`Infinity` when none is waiting). */
  protected abstract nextDueInMs(): Promise<number>;

  /** Starts working in the background. */
  async start(): Promise<void> {
    await this.wakeups.start();
    this.running = this.loop();
  }

  /** Stops after the items in hand are finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeups.wakeAll();
    await this.running;
    await this.wakeups.close();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const generation = this.wakeups.current();
      try {
        const handled = await this.doDue();
        failures = 0;
        if (handled > 0) continue;
        const dueInMs = await this.nextDueInMs();
        await this.wakeups.wait(generation, Math.min(this.pollIntervalMs, dueInMs));
      } catch (error) {
        failures++;
        this.logger.error({ err: error, attempt: failures }, 'work loop failed; retrying');
        await sleep(Math.min(30_000, 200 * 2 ** Math.min(failures, 8)));
      }
    }
  }
}
