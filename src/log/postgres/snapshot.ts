import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { EVENT_COLUMNS, storedRowToEvent, type EventRow } from './rows.ts';
import type { LogSnapshot } from '../log-snapshot.ts';

/** Rows fetched per cursor round trip. */
const CURSOR_BATCH = 1_000;

/**
 * Takes a snapshot of the PostgreSQL log (`events` table): one connection from `pool` holds a
 * `REPEATABLE READ READ ONLY` transaction, so the count, the head and every row read come
 * from the same instant (every event committed when the snapshot began, none after), while
 * appends go on. Rows are read through a `pg-query-stream` cursor in log order
 * (`epoch, transaction_id, position`, the `events_read_order` index), so memory stays bounded.
 * Events are exported as stored, at the schema version they were written in (not upcast):
 * a backup is a copy of the log, and a restore must put back exactly what was there.
 *
 * @throws Error when the connection or the transaction cannot be opened.
 */
export async function postgresSnapshot(pool: pg.Pool): Promise<LogSnapshot> {
  // Not `withTransaction`: the transaction outlives this call (it is the snapshot, read by
  // the caller and ended by `close`), where the helper ends it when its body returns.
  const client = await pool.connect();
  let released = false;
  const release = async (error?: Error) => {
    if (released) return;
    released = true;
    await client.query(error ? 'ROLLBACK' : 'COMMIT').catch(() => {});
    client.release(error);
  };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ n: string; head: string | null; now: Date }>(
      `SELECT (SELECT count(*) FROM events)::text AS n,
              (SELECT e.position::text AS head FROM events e
                ORDER BY e.epoch DESC, e.transaction_id DESC, e.position DESC LIMIT 1) AS head,
              now() AS now`,
    );
    const summary = rows[0]!;
    return {
      kind: 'postgres',
      events: Number(summary.n),
      head: summary.head,
      highWatermarks: null,
      takenAt: summary.now,
      async *read(): AsyncIterable<RecordedLeadlineEvent> {
        const stream = client.query(
          new QueryStream(
            `SELECT ${EVENT_COLUMNS} FROM events ORDER BY epoch, transaction_id, position`,
            [],
            { batchSize: CURSOR_BATCH, highWaterMark: CURSOR_BATCH },
          ),
        );
        for await (const row of stream as AsyncIterable<EventRow>) yield storedRowToEvent(row);
      },
      close: (error) => release(error),
    };
  } catch (error) {
    await release(error as Error);
    throw error;
  }
}
