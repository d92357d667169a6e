/**
 * The service's state as the gauges of `GET /metrics` read it: only what they report, so
 * telemetry depends on no module that measures it (`leadline status` produces a wider
 * reading that fits this shape).
 */
export interface MetricsStatus {
  /** Each consumer's lag: events it has not handled yet, and the age (s) of the oldest. */
  consumers: ReadonlyArray<{ consumer: string; eventsBehind: number; secondsBehind: number }>;
  /** Outbound texts by state (`pending`, `deferred`, `retrying`, `sending`, `failed`). */
  outbound: Readonly<Record<string, number>>;
  /** Durable timers not yet fired, and how many of those are overdue. */
  timers: { waiting: number; overdue: number };
  /**
   * Whether a long transaction holds the log's readers back: committed events held back and
   * for how long (s), and whether that counts as stalled. Null for a log without a horizon.
   */
  horizon: { stalled: boolean; heldBackEvents: number; heldBackSeconds: number } | null;
}
