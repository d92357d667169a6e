import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Wakeups } from '../../db/wakeups.ts';
import type { FollowHandler, FollowOptions } from '../event-log.ts';
import { START, type PgCheckpoint } from './checkpoint.ts';
import { readBatch } from './read-batch.ts';
import {
  checkpointOfValues,
  EVENT_COLUMNS,
  rowToEvent,
  tenantOfValues,
  typeOfValues,
  valuesToEvent,
  type EventRow,
} from './rows.ts';

/** What {@link followPostgres} needs from the log. */
export interface PgFollowSettings {
  pool: pg.Pool;
  /** The log's current epoch. */
  epoch: () => number;
  /** The log's `LISTEN` wake-ups (a NOTIFY on every append). */
  wakeups: Wakeups;
  /** Fallback poll when no notification arrives (ms). */
  pollIntervalMs: number;
  /** Rows read per query. Default 500. */
  batchSize?: number;
}

/** How soon to look again when committed events wait behind an older open transaction. */
const HORIZON_RETRY_MS = 50;

/** True when an event of `type` and `tenantId` passes the filters of `options` (before decoding). */
function matches(type: string, tenantId: string | null, options: FollowOptions): boolean {
  if (options.types && options.types.length > 0 && !options.types.includes(type)) return false;
  if (options.tenantId !== undefined && tenantId !== options.tenantId) return false;
  return true;
}

const checkpointOf = (row: EventRow): PgCheckpoint => ({
  epoch: row.epoch,
  transactionId: row.transaction_id,
  position: row.position,
});

/**
 * The newest event no reader can ever be passed by: the last row, in log order, whose writing
 * transaction is older than every transaction still open (or of an earlier epoch). Every
 * event after it is either committed already (shown by the first read) or still to commit;
 * none can appear before it. START when there is none.
 */
async function visibleHead(db: pg.ClientBase, currentEpoch: number): Promise<PgCheckpoint> {
  const { rows } = await db.query<EventRow>(
    `SELECT epoch, transaction_id, position FROM events
      WHERE epoch < $1 OR transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY epoch DESC, transaction_id DESC, position DESC LIMIT 1`,
    [currentEpoch],
  );
  return rows[0] ? checkpointOf(rows[0]) : START;
}

/** The `n` newest events at or before `upTo` that pass the filters, oldest first. */
async function lastMatching(
  db: pg.ClientBase,
  upTo: PgCheckpoint,
  n: number,
  options: FollowOptions,
): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events
      WHERE (epoch, transaction_id, position) <= ($1::int, $2::xid8, $3::bigint)
        AND ($4::text[] IS NULL OR type = ANY($4::text[]))
        AND ($5::text IS NULL OR tenant_id = $5)
      ORDER BY epoch DESC, transaction_id DESC, position DESC
      LIMIT $6`,
    [
      upTo.epoch,
      upTo.transactionId,
      upTo.position,
      options.types && options.types.length > 0 ? options.types : null,
      options.tenantId ?? null,
      n,
    ],
  );
  return rows.reverse();
}

/**
 * Follows the PostgreSQL log without being a consumer (`leadline events tail`): delivers each
 * event that passes the filters, in log order, as it becomes readable, until `signal` aborts.
 * It writes nothing: no checkpoint, no advisory lock; it only reads, on one pooled
 * connection.
 *
 * Reads are the subscriptions' gap-safe reads (`read-batch.ts`: order by
 * `(epoch, transaction_id, position)`, only rows below the oldest open transaction), so an
 * event whose writer took its id early and committed late is still delivered, in order.
 * `from: 'now'` starts at the newest event below that horizon (an event committed just
 * before, behind a still-open older transaction, may therefore be shown too); `start` at
 * the beginning; `{ last: n }` first delivers the n newest matching events below it. The
 * log's NOTIFY wake-ups end each wait; `pollIntervalMs` is the fallback.
 *
 * @throws UnknownSchemaVersionError when an event that passes the filters cannot be read.
 */
export async function followPostgres(
  settings: PgFollowSettings,
  options: FollowOptions,
  onEvent: FollowHandler,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const limit = settings.batchSize ?? 500;
  const wake = () => settings.wakeups.wakeAll();
  signal.addEventListener('abort', wake, { once: true });
  const client = await settings.pool.connect();
  try {
    const from = options.from ?? 'now';
    let cursor = from === 'start' ? START : await visibleHead(client, settings.epoch());
    if (typeof from === 'object') {
      for (const row of await lastMatching(client, cursor, from.last, options)) {
        if (signal.aborted) return;
        await onEvent(rowToEvent(row));
      }
    }
    options.onReady?.();
    while (!signal.aborted) {
      const generation = settings.wakeups.current();
      const batch = await readBatch(client, cursor, settings.epoch(), limit);
      for (const row of batch.rows) {
        if (signal.aborted) return;
        cursor = checkpointOfValues(row);
        if (matches(typeOfValues(row), tenantOfValues(row), options)) {
          await onEvent(valuesToEvent(row));
        }
      }
      if (batch.rows.length === limit) continue;
      if (batch.heldBackByHorizon) {
        await sleep(HORIZON_RETRY_MS);
        continue;
      }
      await settings.wakeups.wait(generation, settings.pollIntervalMs);
    }
  } finally {
    signal.removeEventListener('abort', wake);
    client.release();
  }
}
