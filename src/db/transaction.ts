import type pg from 'pg';

/** Where a transaction can come from: a pool (a client is checked out) or a client already held. */
export type TransactionSource = pg.Pool | pg.PoolClient;

/** Options of {@link withTransaction}. */
export interface TransactionOptions {
  /**
   * Statement run right after `BEGIN` (for example `SET LOCAL lock_timeout = '2s'` or
   * `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`).
   */
  readonly setup?: string;
  /**
   * Passed to `client.release(err)` when the body failed and the connection itself may be
   * broken; the pool then discards the client rather than reusing it. Default: release the
   * failed client as broken only when `ROLLBACK` failed too.
   */
  readonly discardOnError?: boolean;
  /**
   * A statement, as plain SQL text with its values written in as literals, run in the same
   * round trip as `COMMIT` (one simple query, `<statement>; COMMIT`): decided once the body
   * has run (undefined: plain `COMMIT`). A consumer's checkpoint is stored this way, saving a
   * round trip per batch. If it fails, nothing is committed and the error is thrown.
   */
  readonly commitWith?: () => string | undefined;
}

/**
 * Thrown inside a {@link withTransaction} body to roll the transaction back on purpose (a
 * conditional abort, not a fault): `withTransaction` then returns `result` instead of
 * rethrowing. Make one with {@link rollback}.
 */
export class Rollback<T> {
  constructor(readonly result: T) {}
}

/** `throw rollback(x)` ends the surrounding {@link withTransaction} with `ROLLBACK`, returning `x`. */
export function rollback<T>(result: T): Rollback<T> {
  return new Rollback(result);
}

function isPool(source: TransactionSource | pg.ClientBase): source is pg.Pool {
  return 'totalCount' in source;
}

/**
 * Runs `body` inside `BEGIN … COMMIT` on one connection and returns its result. A body that
 * throws {@link rollback}`(x)` is rolled back and `x` returned. A body that throws anything else
 * is rolled back and its error rethrown (a failed `ROLLBACK` is swallowed: the
 * original error is the one that explains what happened). With a pool, the client is
 * checked out for the transaction and released after it (discarded when the rollback failed,
 * since its connection is then in an unknown state); with a client, the caller keeps it.
 *
 * @throws whatever `body`, `BEGIN`, `setup` or `COMMIT` throws (pg errors carry a SQLSTATE).
 */
export function withTransaction<T>(
  source: TransactionSource,
  body: (client: pg.PoolClient) => Promise<T>,
  options?: TransactionOptions,
): Promise<T>;
/** The same on a dedicated connection the caller holds (not a pool's): the caller keeps it. */
export function withTransaction<T>(
  source: pg.ClientBase,
  body: (client: pg.ClientBase) => Promise<T>,
  options?: TransactionOptions,
): Promise<T>;
export async function withTransaction<T>(
  source: TransactionSource | pg.ClientBase,
  body: (client: pg.PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = (isPool(source) ? await source.connect() : source) as pg.PoolClient;
  let broken: Error | undefined;
  try {
    // One round trip for BEGIN and the setup, one for the final statement and COMMIT: both
    // are plain SQL text, which the simple query protocol runs in sequence.
    await client.query(options.setup ? `BEGIN; ${options.setup}` : 'BEGIN');
    const result = await body(client);
    const last = options.commitWith?.();
    await client.query(last ? `${last}; COMMIT` : 'COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    if (error instanceof Rollback) return error.result as T;
    if (options.discardOnError) broken ??= error as Error;
    throw error;
  } finally {
    if (isPool(source)) client.release(broken);
  }
}
