import type pg from 'pg';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { PoisonPolicy } from './poison-policy-kind.ts';

/** Where a dead letter stands. `*-requested`: an operator asked; the consumer has not acted yet. */
export type DeadLetterStatus =
  'open' | 'retry-requested' | 'skip-requested' | 'resolved' | 'skipped';

/** One row of `dead_letters`, as operators see it. */
export interface DeadLetter {
  id: string;
  consumer: string;
  policy: PoisonPolicy;
  status: DeadLetterStatus;
  eventId: string;
  eventType: string;
  streamId: string;
  /** The event's position in the log (adapter-specific). */
  position: string;
  error: string;
  attempts: number;
  /** Events parked behind it (policy `park`; the dead event itself included). */
  parked: number;
  createdAt: string;
  updatedAt: string;
  event: RecordedLeadlineEvent;
}

/** What {@link recordDeadLetter} stores. */
export interface NewDeadLetter {
  consumer: string;
  policy: PoisonPolicy;
  event: RecordedLeadlineEvent;
  error: string;
  attempts: number;
}

/**
 * Records (or re-opens, adding to its attempts) the dead letter of `event` for a consumer.
 * @returns the dead letter's id.
 */
export async function recordDeadLetter(db: pg.ClientBase | pg.Pool, letter: NewDeadLetter) {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO dead_letters (consumer_name, policy, event_id, stream_id, event_type, log_position,
                               event, error, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (consumer_name, event_id) DO UPDATE
       SET error = EXCLUDED.error, attempts = dead_letters.attempts + EXCLUDED.attempts,
           status = 'open', updated_at = now(), resolved_at = NULL
     RETURNING id`,
    [
      letter.consumer,
      letter.policy,
      letter.event.id,
      letter.event.streamId,
      letter.event.type,
      letter.event.position,
      JSON.stringify(letter.event),
      letter.error,
      letter.attempts,
    ],
  );
  return rows[0]!.id;
}

/** Parks `event`'s stream for `consumer` behind dead letter `deadLetterId`, and the event with it. */
export async function parkStream(
  db: pg.ClientBase,
  consumer: string,
  event: RecordedLeadlineEvent,
  deadLetterId: string,
): Promise<void> {
  await db.query(
    `INSERT INTO parked_streams (consumer_name, stream_id, dead_letter_id) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [consumer, event.streamId, deadLetterId],
  );
  await parkEvent(db, consumer, event);
}

/** Adds `event` to the events waiting behind its parked stream (idempotent). */
export async function parkEvent(
  db: pg.ClientBase,
  consumer: string,
  event: RecordedLeadlineEvent,
): Promise<void> {
  await db.query(
    `INSERT INTO parked_events (consumer_name, stream_id, event_id, event) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [consumer, event.streamId, event.id, JSON.stringify(event)],
  );
}

/**
 * Whether `streamId` is parked for `consumer`. Takes a share lock on the parked row, so a
 * concurrent `deadletters retry` (which holds it for update) finishes first: the parked
 * events are then handled before this one, in order.
 */
export async function isStreamParked(
  db: pg.ClientBase,
  consumer: string,
  streamId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM parked_streams WHERE consumer_name = $1 AND stream_id = $2 FOR SHARE`,
    [consumer, streamId],
  );
  return (rowCount ?? 0) > 0;
}

/** The streams parked for `consumer`. */
export async function parkedStreams(db: pg.ClientBase | pg.Pool, consumer: string) {
  const { rows } = await db.query<{ stream_id: string }>(
    'SELECT stream_id FROM parked_streams WHERE consumer_name = $1',
    [consumer],
  );
  return new Set(rows.map((r) => r.stream_id));
}

/** Unresolved `stop` dead letters of `consumer`, by event id. */
export async function haltingDeadLetters(db: pg.ClientBase | pg.Pool, consumer: string) {
  const { rows } = await db.query<{ id: string; event_id: string }>(
    `SELECT id, event_id FROM dead_letters
      WHERE consumer_name = $1 AND policy = 'stop' AND status NOT IN ('resolved', 'skipped')`,
    [consumer],
  );
  return new Map(rows.map((r) => [r.event_id, r.id]));
}

/** The status of dead letter `id`; undefined when there is none. */
export async function deadLetterStatus(
  db: pg.ClientBase | pg.Pool,
  id: string,
): Promise<DeadLetterStatus | undefined> {
  const { rows } = await db.query<{ status: DeadLetterStatus }>(
    'SELECT status FROM dead_letters WHERE id = $1',
    [id],
  );
  return rows[0]?.status;
}

/** Sets dead letter `id`'s status (stamping `resolved_at` for `resolved` and `skipped`). */
export async function setDeadLetterStatus(
  db: pg.ClientBase | pg.Pool,
  id: string,
  status: DeadLetterStatus,
): Promise<void> {
  await db.query(
    `UPDATE dead_letters SET status = $2, updated_at = now(),
            resolved_at = CASE WHEN $2 IN ('resolved', 'skipped') THEN now() END
      WHERE id = $1`,
    [id, status],
  );
}

interface DeadLetterRow {
  id: string;
  consumer_name: string;
  policy: PoisonPolicy;
  status: DeadLetterStatus;
  event_id: string;
  event_type: string;
  stream_id: string;
  log_position: string;
  error: string;
  attempts: number;
  parked: string;
  created_at: Date;
  updated_at: Date;
  event: RecordedLeadlineEvent;
}

const toDeadLetter = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  consumer: r.consumer_name,
  policy: r.policy,
  status: r.status,
  eventId: r.event_id,
  eventType: r.event_type,
  streamId: r.stream_id,
  position: r.log_position,
  error: r.error,
  attempts: r.attempts,
  parked: Number(r.parked),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  event: r.event,
});

const SELECT_DEAD_LETTERS = `
  SELECT d.*, (SELECT count(*) FROM parked_events p JOIN parked_streams s
                   ON s.consumer_name = p.consumer_name AND s.stream_id = p.stream_id
                WHERE s.dead_letter_id = d.id) AS parked
    FROM dead_letters d`;

/**
 * Dead letters, oldest first: unresolved ones only unless `all`, of one consumer if given.
 */
export async function listDeadLetters(
  db: pg.ClientBase | pg.Pool,
  options: { consumer?: string; all?: boolean } = {},
): Promise<DeadLetter[]> {
  const { rows } = await db.query<DeadLetterRow>(
    `${SELECT_DEAD_LETTERS}
      WHERE ($1::text IS NULL OR d.consumer_name = $1)
        AND ($2 OR d.status NOT IN ('resolved', 'skipped'))
      ORDER BY d.id`,
    [options.consumer ?? null, options.all ?? false],
  );
  return rows.map(toDeadLetter);
}

/** Dead letter `id`; undefined when there is none. */
export async function findDeadLetter(
  db: pg.ClientBase | pg.Pool,
  id: string,
): Promise<DeadLetter | undefined> {
  const { rows } = await db.query<DeadLetterRow>(`${SELECT_DEAD_LETTERS} WHERE d.id = $1`, [id]);
  return rows[0] ? toDeadLetter(rows[0]) : undefined;
}

/** Unresolved dead letters per consumer name. */
export async function openDeadLetterCounts(db: pg.ClientBase | pg.Pool) {
  const { rows } = await db.query<{ consumer_name: string; n: string }>(
    `SELECT consumer_name, count(*) AS n FROM dead_letters
      WHERE status NOT IN ('resolved', 'skipped') GROUP BY consumer_name`,
  );
  return new Map(rows.map((r) => [r.consumer_name, Number(r.n)]));
}
