import type { Logger } from './logger.ts';

/**
 * A log line that cannot flood the log: at most one line per `key` every `intervalMs`
 * (default 10 s), each telling how many were held back since the previous one
 * (`suppressed`). For what an attacker or an outage can repeat thousands of times a second:
 * refused webhooks, failed keys, lost connections.
 */
export class ThrottledLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
    /** Most keys remembered; the oldest is forgotten first. */
    private readonly maxKeys = 1_000,
  ) {}

  /** Logs at `warn` unless a line with this `key` was logged within the interval. */
  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger.warn({ ...fields, suppressed: seen?.suppressed ?? 0 }, message);
  }
}
