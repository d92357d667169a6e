import type pg from 'pg';
import type { LeadlineEvent } from '../../events/catalogue.ts';
import { isUnavailable } from '../../shared/faults.ts';
import type { AppendResult } from '../event-log.ts';
import { eventsToColumns } from './rows.ts';
import { APPEND_NOTICE_PAYLOAD } from './append-notice.ts';

/** Where one appended event landed: its position, and whether it was already in the log. */
type Landed = Pick<AppendResult, 'position' | 'duplicate'>;

interface Waiting {
  events: LeadlineEvent[];
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

/** Most events written in one group (a bound on one statement's size). */
const MAX_GROUP_EVENTS = 5_000;

/**
 * Group commit for the PostgreSQL log: appends that arrive while one is being written wait
 * and then go together, as one statement and one commit (one WAL flush), so concurrent
 * webhooks share the cost of durability instead of queueing for a connection each. A caller
 * is answered only after the commit that holds its events, so "resolved means durable"
 * holds, and each caller's events are all written or none (they are in one statement).
 *
 * When a group fails for any reason but the database being unreachable, each caller's append
 * is tried again alone, so one bad append fails only its own caller. Unreachable: every
 * caller gets the error (the webhook path spools).
 */
export class GroupCommit {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  /**
   * @param pool where statements run (autocommit: one statement is one transaction).
   * @param epoch the log's current epoch, stamped on every row.
   * @param channel NOTIFYed in the same statement when anything was inserted.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly epoch: () => number,
    private readonly channel: string,
  ) {}

  /** Appends `events` (see `EventLog.append`): durable when the promise resolves. */
  append(events: LeadlineEvent[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group: Waiting[] = [this.waiting.shift()!];
        let size = group[0]!.events.length;
        while (
          this.waiting.length > 0 &&
          size + this.waiting[0]!.events.length <= MAX_GROUP_EVENTS
        ) {
          const next = this.waiting.shift()!;
          size += next.events.length;
          group.push(next);
        }
        await this.writeGroup(group);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeGroup(group: Waiting[]): Promise<void> {
    try {
      const landed = await this.write(group.flatMap((w) => w.events));
      // An id appended twice in one group (a retried webhook racing itself) is written once:
      // the first caller owns it, later ones see a duplicate at the same position.
      const claimed = new Set<string>();
      for (const waiter of group) {
        waiter.resolve(
          waiter.events.map((event) => {
            const where = landed.get(event.id)!;
            const duplicate = where.duplicate || claimed.has(event.id);
            claimed.add(event.id);
            return { id: event.id, position: where.position, duplicate };
          }),
        );
      }
    } catch (error) {
      if (group.length === 1 || isUnavailable(error)) {
        for (const waiter of group) waiter.reject(error);
        return;
      }
      for (const waiter of group) await this.writeGroup([waiter]);
    }
  }

  /**
   * One statement: inserts the events not yet in the log, NOTIFYs when any was (naming their
   * types, `append-notice.ts`), and reports
   * each event's position (a second query finds the positions of those already there).
   */
  private async write(events: LeadlineEvent[]): Promise<Map<string, Landed>> {
    const inserted = await this.pool.query<{ event_id: string; position: string }>(
      `WITH inserted AS (
         INSERT INTO events (epoch, event_id, stream_id, type, schema_version, tenant_id,
           occurred_at, recorded_at, causation_id, correlation_id, traceparent, data)
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[],
           $7::timestamptz[], $8::timestamptz[], $9::uuid[], $10::text[], $11::text[], $12::jsonb[])
         ON CONFLICT (event_id) DO NOTHING
         RETURNING event_id, position, type
       ), notified AS (
         SELECT pg_notify($13, ${APPEND_NOTICE_PAYLOAD})
           FROM (SELECT 1 FROM inserted LIMIT 1) AS any_inserted
       )
       SELECT event_id, position FROM inserted LEFT JOIN notified ON true`,
      [this.epoch(), ...eventsToColumns(events), this.channel],
    );
    const landed = new Map<string, Landed>(
      inserted.rows.map((r) => [r.event_id, { position: r.position, duplicate: false }]),
    );
    const missing = [...new Set(events.map((e) => e.id).filter((id) => !landed.has(id)))];
    if (missing.length > 0) {
      const existing = await this.pool.query<{ event_id: string; position: string }>(
        'SELECT event_id, position FROM events WHERE event_id = ANY($1::uuid[])',
        [missing],
      );
      for (const r of existing.rows)
        landed.set(r.event_id, { position: r.position, duplicate: true });
    }
    for (const id of missing) {
      // Neither inserted nor found: cannot happen unless the row vanished; say so plainly.
      if (!landed.has(id)) throw new Error(`event ${id} was neither appended nor found in the log`);
    }
    return landed;
  }
}
