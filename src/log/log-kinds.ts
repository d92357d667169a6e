/**
 * The logs Leadline can run on, by the name `LOG_BACKEND` and backup headers use. A new
 * adapter adds its name here (and its folder under `src/log/`).
 */
export const LOG_KINDS = ['postgres', 'kafka'] as const;

/** One of {@link LOG_KINDS}. */
export type LogKind = (typeof LOG_KINDS)[number];

/** What a log is, in words for operators (`leadline status`, backup headers, refusals). */
export interface LogDescription {
  /** Its name (`postgres`, `kafka`). */
  kind: LogKind;
  /** Where it keeps its events, e.g. `the events table` or `Kafka topics leadline.*`. */
  holds: string;
  /**
   * The settings that choose where it is, for a message that asks to point them elsewhere,
   * e.g. `DATABASE_URL (or LEADLINE_DATA_DIR)`.
   */
  settings: string;
}
