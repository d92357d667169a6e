/**
 * Whether a long transaction holds the log's readers back (design §3), as
 * {@link EventLog.horizon} reports it. Only a log whose gap-safe readers wait for older
 * writers has a horizon (the PostgreSQL log); others report null.
 */
export interface HorizonStatus {
  /**
   * Committed events no gap-safe reader may read yet, because a transaction older than
   * theirs is still open.
   */
  heldBackEvents: number;
  /** Age (s) of the oldest of them; 0 when none is held back. */
  heldBackSeconds: number;
  /** True when held back long enough to count as stalled (the adapter's threshold). */
  stalled: boolean;
  /**
   * The oldest transaction holding a transaction id on the server (the likely culprit), when
   * one is visible: its backend pid, database, `application_name`, state and age (s). Never
   * its query text. Null when none is open (or none is visible).
   */
  oldestTransaction: {
    pid: number;
    database: string | null;
    application: string | null;
    state: string | null;
    ageSeconds: number;
  } | null;
}
