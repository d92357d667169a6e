import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../shared/logger.ts';
import type { Wakeups } from './wakeups.ts';

/** What {@link runDueWorkLoop} drives. */
export interface DueWork {
  /** Does one batch of due work; @returns how many items it handled. */
  doDue(): Promise<number>;
  /** Milliseconds until the next item falls due (`Infinity` when none is waiting). */
  nextDueInMs(): Promise<number>;
  /** True once the owner wants the loop to end. */
  stopped(): boolean;
}

/**
 * The loop shared by the outbound sender and the timer runner: do what is due; when nothing
 * was, sleep until the next item falls due, a `NOTIFY` on `wakeups`, or `pollIntervalMs`,
 * whichever comes first. Errors (a database restart, say) are logged and retried with
 * backoff from 200 ms to 30 s; the loop only ends when `work.stopped()`.
 */
export async function runDueWorkLoop(
  work: DueWork,
  wakeups: Wakeups,
  pollIntervalMs: number,
  logger: Logger,
): Promise<void> {
  let failures = 0;
  while (!work.stopped()) {
    const generation = wakeups.current();
    try {
      const handled = await work.doDue();
      failures = 0;
      if (handled > 0) continue;
      const dueInMs = await work.nextDueInMs();
      await wakeups.wait(generation, Math.min(pollIntervalMs, dueInMs));
    } catch (error) {
      failures++;
      logger.error({ err: error, attempt: failures }, 'work loop failed; retrying');
      await sleep(Math.min(30_000, 200 * 2 ** Math.min(failures, 8)));
    }
  }
}
