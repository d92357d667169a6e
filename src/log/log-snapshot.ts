import type { RecordedLeadlineEvent } from '../events/catalogue.ts';
import type { LogKind } from './log-kinds.ts';

/**
 * A consistent, finite view of the whole log, read once in log order: what a backup writes.
 * Produced by `EventLog.snapshot` (each adapter's `snapshot.ts`); the caller iterates
 * `read()` to the end (or stops early) and then calls `close` exactly once, whatever happened.
 */
export interface LogSnapshot {
  /** The log it was taken of. */
  kind: LogKind;
  /** How many events `read()` yields. */
  events: number;
  /**
   * `position` of the last event in log order; null when the log is empty, and on Kafka, whose
   * partitions have no single last event (see `highWatermarks`).
   */
  head: string | null;
  /** Kafka: next offset read up to, per `<topic>/<partition>`; null on PostgreSQL. */
  highWatermarks: Record<string, string> | null;
  /** When the snapshot was taken (UTC). */
  takenAt: Date;
  /** Every event of the snapshot, in log order; streamed, never all in memory. */
  read(): AsyncIterable<RecordedLeadlineEvent>;
  /**
   * Releases the snapshot's connections. Pass the error when reading failed or stopped early,
   * so a connection in an unknown state is discarded rather than reused.
   */
  close(error?: Error): Promise<void>;
}
