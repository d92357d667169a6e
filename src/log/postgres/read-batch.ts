import type pg from 'pg';
import {
  ENVELOPE_COLUMNS,
  EVENT_COLUMN_COUNT,
  typedEnvelopeColumns,
  type EventValues,
} from './rows.ts';
import type { PgCheckpoint } from './checkpoint.ts';

/** A batch read past a checkpoint. */
export interface Batch {
  /** The rows, in log order, as {@link EventValues} (see `typeOfValues`, `valuesToEvent`). */
  rows: EventValues[];
  /**
   * True when committed events exist past the checkpoint that the horizon still hides,
   * because an older transaction is still open. The reader should look again shortly.
   */
  heldBackByHorizon: boolean;
  /**
   * True when the read also stored the checkpoint past every row of `rows` (see `passAs` of
   * {@link readBatch}): none of them was of the consumer's types.
   */
  passed: boolean;
}

/** What a consumer that acts on a few event types asks of {@link readBatch}. */
export interface TypedRead {
  /** The event types the consumer acts on (`Consumer.eventTypes`). */
  types: ReadonlySet<string>;
  /**
   * The consumer's name: when the batch holds none of `types`, the same statement stores the
   * checkpoint past it (`consumer_checkpoints`, as `storeCheckpointStatement` does), so a
   * wake-up by other events costs one round trip instead of two.
   */
  passAs?: string;
}

/**
 * Reads up to `limit` events after `after`, in log order, **gap-safe**: only events whose
 * writing transaction is older than every transaction still in progress
 * (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`). A writer that took its
 * transaction id earlier but commits later can therefore never be skipped: its rows stay
 * invisible, and everything after them stays hidden, until it commits. Rows of earlier epochs
 * (before a transaction-id reset) are always complete. The technique is Emmett's
 * (`readMessagesBatch.ts`); the lost-event bug it prevents hit Marten and Eventuous.
 * With `typed`, rows of other types come with only their place in the log and their type,
 * every other column null (`data` the largest to send and decode, the times the dearest to
 * format): a consumer that acts on a few types (`Consumer.eventTypes`) needs no more of them.
 * With `typed.passAs` too, a batch holding none of its types is passed in the same statement
 * (see {@link TypedRead.passAs}): autocommit, so the checkpoint moves only if the statement
 * succeeds.
 */
export async function readBatch(
  db: pg.ClientBase,
  after: PgCheckpoint,
  currentEpoch: number,
  limit: number,
  typed?: TypedRead,
): Promise<Batch> {
  // One query answers both what may be read and whether anything waits behind the horizon:
  // in log order, a row is readable exactly while its transaction is older than the horizon,
  // so the readable rows are a prefix and the first unreadable one says that more is held
  // back. The horizon is a sub-select so PostgreSQL takes one snapshot for the query (an
  // init plan) rather than one per row. Rows come as arrays (node-postgres builds them faster
  // than keyed objects, which a replay of millions of events notices, see `bench:rebuild`).
  const window = `FROM events
      WHERE (epoch, transaction_id, position) > ($1::int, $2::xid8, $3::bigint)
      ORDER BY epoch, transaction_id, position
      LIMIT $5`;
  const readable =
    '(epoch < $4 OR transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))) AS readable';
  // Typed: whether a row is wanted is judged once, in the window, and only wanted rows have
  // their columns formatted (see `typedEnvelopeColumns`).
  const read = typed
    ? `SELECT ${typedEnvelopeColumns('wanted')}, CASE WHEN wanted THEN data END AS data, readable
        FROM (SELECT *, type = ANY($6::text[]) AS wanted, ${readable} ${window}) AS e
       ORDER BY epoch, transaction_id, position`
    : `SELECT ${ENVELOPE_COLUMNS}, data, ${readable} ${window}`;
  const passing = typed?.passAs !== undefined;
  const result = await db.query<unknown[]>({
    text: passing ? passingRead(read) : read,
    values: [
      after.epoch,
      after.transactionId,
      after.position,
      currentEpoch,
      limit + 1,
      ...(typed ? [[...typed.types]] : []),
      ...(passing ? [typed.passAs] : []),
    ],
    rowMode: 'array',
  });
  // The readable rows are a prefix: cut the array there (and at `limit`) rather than copy it.
  const rows = result.rows;
  const passed = rows[0]?.[EVENT_COLUMN_COUNT + 1] === true;
  const firstHidden = rows.findIndex((values) => values[EVENT_COLUMN_COUNT] !== true);
  if (firstHidden >= 0 && firstHidden <= limit) {
    rows.length = firstHidden;
    return { rows, heldBackByHorizon: true, passed };
  }
  if (rows.length > limit) rows.length = limit;
  return { rows, heldBackByHorizon: false, passed };
}

/**
 * `read` (with `$6` the types, `$7` the consumer) extended to store the checkpoint past the
 * rows it hands back when none is of the types: the readable prefix, at most `$5 - 1` rows,
 * exactly the rows {@link readBatch} returns. Each row then carries whether it did.
 */
function passingRead(read: string): string {
  return `WITH batch AS (${read}),
      passable AS (
        SELECT epoch, transaction_id, position, type FROM batch WHERE readable
         ORDER BY epoch, transaction_id, position LIMIT $5 - 1
      ), passed AS (
        INSERT INTO consumer_checkpoints (consumer_name, epoch, transaction_id, position, events_handled)
        SELECT $7, epoch, transaction_id, position, (SELECT count(*) FROM passable)
          FROM passable
         WHERE NOT EXISTS (SELECT 1 FROM passable WHERE type = ANY($6::text[]))
         ORDER BY epoch DESC, transaction_id DESC, position DESC
         LIMIT 1
        ON CONFLICT (consumer_name) DO UPDATE SET epoch = EXCLUDED.epoch,
          transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,
          events_handled = consumer_checkpoints.events_handled + EXCLUDED.events_handled,
          updated_at = now()
        RETURNING 1
      )
    SELECT batch.*, EXISTS (SELECT 1 FROM passed) AS passed FROM batch
     ORDER BY epoch, transaction_id, position`;
}
