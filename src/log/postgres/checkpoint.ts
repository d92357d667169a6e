import pg from 'pg';

/**
 * Where a consumer of the PostgreSQL log has got to: the last event it handled, as the
 * `(epoch, transaction_id, position)` triple the log is ordered by.
 */
export interface PgCheckpoint {
  epoch: number;
  /** xid8 as a decimal string. */
  transactionId: string;
  /** Global position (bigint) as a decimal string. */
  position: string;
}

/** The checkpoint before the first event. */
export const START: PgCheckpoint = { epoch: 0, transactionId: '0', position: '0' };

/** Compares two checkpoints in log order: negative, zero or positive. */
export function compareCheckpoints(a: PgCheckpoint, b: PgCheckpoint): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const tx = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const pos = BigInt(a.position) - BigInt(b.position);
  return pos === 0n ? 0 : pos < 0n ? -1 : 1;
}

/** Reads `consumer`'s checkpoint; {@link START} when it has none. */
export async function readCheckpoint(db: pg.ClientBase, consumer: string): Promise<PgCheckpoint> {
  const { rows } = await db.query<{ epoch: number; transaction_id: string; position: string }>(
    'SELECT epoch, transaction_id, position FROM consumer_checkpoints WHERE consumer_name = $1',
    [consumer],
  );
  const row = rows[0];
  return row
    ? { epoch: row.epoch, transactionId: row.transaction_id, position: row.position }
    : START;
}

const DIGITS = /^\d{1,20}$/;

/**
 * The statement that stores `consumer`'s checkpoint, to run inside the transaction that holds
 * its effects: plain SQL text with its values written in as literals, so that it shares the
 * round trip of `COMMIT` (`withTransaction`'s `commitWith`). The consumer's name is quoted
 * by node-postgres's `escapeLiteral`; the checkpoint's parts are checked to be whole numbers
 * first.
 * @throws Error when the epoch, transaction id, position or count is not a whole number.
 */
export function storeCheckpointStatement(
  consumer: string,
  checkpoint: PgCheckpoint,
  handled: number,
): string {
  const { epoch, transactionId, position } = checkpoint;
  if (
    !Number.isSafeInteger(epoch) ||
    !Number.isSafeInteger(handled) ||
    !DIGITS.test(transactionId) ||
    !DIGITS.test(position)
  ) {
    throw new Error(`not a checkpoint: ${JSON.stringify({ ...checkpoint, handled })}`);
  }
  return `INSERT INTO consumer_checkpoints (consumer_name, epoch, transaction_id, position, events_handled)
     VALUES (${pg.escapeLiteral(consumer)}, ${epoch}, '${transactionId}'::xid8, ${position}, ${handled})
     ON CONFLICT (consumer_name) DO UPDATE SET epoch = EXCLUDED.epoch,
       transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position,
       events_handled = consumer_checkpoints.events_handled + EXCLUDED.events_handled,
       updated_at = now()`;
}

/** Forgets `consumer`'s checkpoint so it next reads from the start of the log. */
export async function resetCheckpoint(db: pg.ClientBase, consumer: string): Promise<void> {
  await db.query('DELETE FROM consumer_checkpoints WHERE consumer_name = $1', [consumer]);
}
