import type pg from 'pg';
import { arrayToEventRow, ENVELOPE_COLUMNS, EVENT_COLUMN_COUNT, type EventRow } from './rows.ts';
import type { PgCheckpoint } from './checkpoint.ts';

/** A batch read past a checkpoint. */
export interface Batch {
  rows: EventRow[];
  /**
   * True when committed events exist past the checkpoint that the horizon still hides,
   * because an older transaction is still open. The reader should look again shortly.
   */
  heldBackByHorizon: boolean;
}

/**
 * Reads up to `limit` events after `after`, in log order, **gap-safe**: only events whose
 * writing transaction is older than every transaction still in progress
 * (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`). A writer that took its
 * transaction id earlier but commits later can therefore never be skipped: its rows stay
 * invisible, and everything after them stays hidden, until it commits. Rows of earlier epochs
 * (before a transaction-id reset) are always complete. The technique is Emmett's
 * (`readMessagesBatch.ts`); the lost-event bug it prevents hit Marten and Eventuous.
 * With `types`, rows of other types come without their `data` (null), the largest column to
 * send and decode: a consumer that acts on a few types (`Consumer.eventTypes`) needs only
 * their place in the log.
 */
export async function readBatch(
  db: pg.ClientBase,
  after: PgCheckpoint,
  currentEpoch: number,
  limit: number,
  types?: ReadonlySet<string>,
): Promise<Batch> {
  // One query answers both what may be read and whether anything waits behind the horizon:
  // in log order, a row is readable exactly while its transaction is older than the horizon,
  // so the readable rows are a prefix and the first unreadable one says that more is held
  // back. The horizon is a sub-select so PostgreSQL takes one snapshot for the query (an
  // init plan) rather than one per row. Rows come as arrays (node-postgres builds them faster
  // than keyed objects, which a replay of millions of events notices, see `bench:rebuild`).
  const result = await db.query<unknown[]>({
    text: `SELECT ${ENVELOPE_COLUMNS},
        ${types ? 'CASE WHEN type = ANY($6::text[]) THEN data END' : 'data'} AS data,
        (epoch < $4 OR transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))) AS readable
      FROM events
      WHERE (epoch, transaction_id, position) > ($1::int, $2::xid8, $3::bigint)
      ORDER BY epoch, transaction_id, position
      LIMIT $5`,
    values: [
      after.epoch,
      after.transactionId,
      after.position,
      currentEpoch,
      limit + 1,
      ...(types ? [[...types]] : []),
    ],
    rowMode: 'array',
  });
  const rows: EventRow[] = [];
  for (const values of result.rows) {
    if (values[EVENT_COLUMN_COUNT] !== true) return { rows, heldBackByHorizon: true };
    if (rows.length === limit) break;
    rows.push(arrayToEventRow(values));
  }
  return { rows, heldBackByHorizon: false };
}
