import type { ConsentGateReader } from '../consent/gate/gate-memory.ts';
import type { DatabaseReach } from '../db/reach.ts';
import type { EventLog } from '../log/event-log.ts';
import type { Clock } from '../shared/clock.ts';

/** What every command handler needs: the log to append to, the clock, the trace context. */
export interface CommandDeps {
  log: EventLog;
  clock: Clock;
  /** W3C `traceparent` of the request, stored in the event's envelope. */
  traceparent?: string | null;
  /**
   * The webhook path's PostgreSQL policy: read-your-writes steps (the consent gate) fall back
   * instead of failing while the database is unreachable. Absent (CLI): failures propagate.
   */
  reach?: DatabaseReach;
  /**
   * The webhook path's memory of the consent gate (`consent/gate/gate-memory.ts`): whether a
   * text or call also records implied consent is answered without a round trip. Absent (CLI,
   * tests): the gate is read from the database.
   */
  consentGate?: ConsentGateReader;
}
