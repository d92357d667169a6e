import type { Logger } from '../shared/logger.ts';
import { isUnavailable, withDeadline } from '../shared/faults.ts';
import { ThrottledLog } from '../shared/throttled-log.ts';

/** Settings of {@link DatabaseReach}. */
export interface DatabaseReachOptions {
  /** Longest (ms) one step may wait on PostgreSQL before its fallback answers. Default 2000. */
  deadlineMs?: number;
  /** After a step found PostgreSQL unreachable, how long (ms) later steps skip it. Default 1000. */
  downForMs?: number;
  logger: Logger;
  /** The current time in ms (injected for tests). Default `Date.now`. */
  now?: () => number;
}

/**
 * How the webhook path uses PostgreSQL for what is not the log itself (tenant routing, the
 * consent gate, the first answer of a call step): each step runs with a deadline and, when
 * PostgreSQL is unreachable ({@link isUnavailable}), answers from its fallback instead of
 * failing the webhook. Once a step has found it unreachable, later steps go straight to
 * their fallbacks for `downForMs`, so an outage costs a webhook one wait, not one per step.
 * Any other error is a defect and is thrown.
 */
export class DatabaseReach {
  private downUntil = 0;
  private readonly deadlineMs: number;
  private readonly downForMs: number;
  private readonly now: () => number;
  private readonly throttled: ThrottledLog;

  constructor(options: DatabaseReachOptions) {
    this.deadlineMs = options.deadlineMs ?? 2_000;
    this.downForMs = options.downForMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.throttled = new ThrottledLog(options.logger);
  }

  /** True while a recent step found PostgreSQL unreachable. */
  isDown(): boolean {
    return this.now() < this.downUntil;
  }

  /**
   * Runs `work` (named `what` in logs) and returns its result, or `fallback()` when PostgreSQL
   * is unreachable, was found so within `downForMs`, or does not answer within the deadline.
   * @throws whatever `work` throws that is not an availability failure.
   */
  async tryOr<T>(what: string, work: () => Promise<T>, fallback: () => T): Promise<T> {
    if (this.isDown()) return fallback();
    try {
      return await withDeadline(work(), this.deadlineMs, what);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      this.downUntil = this.now() + this.downForMs;
      this.throttled.warn(
        `unreachable:${what}`,
        { err: error, step: what },
        'PostgreSQL unreachable on the webhook path; answering from memory',
      );
      return fallback();
    }
  }
}

/**
 * Runs a read-your-writes step of a command through `reach` when the caller gave one (the
 * webhook path), else directly (the CLI and tests: failures propagate).
 */
export function readYourWrites<T>(
  reach: DatabaseReach | undefined,
  what: string,
  work: () => Promise<T>,
  fallback: () => T,
): Promise<T> {
  return reach ? reach.tryOr(what, work, fallback) : work();
}
