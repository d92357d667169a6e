/**
 * How long a log adapter waits before retrying a failed batch (ms): the error's own
 * `retryInMs` when it has one (a consumer stopped at a dead letter polls every second),
 * else exponential backoff from 100 ms doubling to 30 s.
 * @param failures consecutive failures so far, 1 for the first.
 */
export function retryDelayMs(error: unknown, failures: number): number {
  const own = (error as { retryInMs?: unknown } | null)?.retryInMs;
  if (typeof own === 'number' && own > 0) return own;
  return Math.min(30_000, 100 * 2 ** Math.min(failures - 1, 9));
}

/** True for a consumer waiting at a dead letter: expected, logged once by the consumer itself. */
export const isHalt = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'ConsumerHaltedError';

/**
 * The `SET LOCAL search_path` statement for a subscription's {@link SearchPath} option.
 * @throws Error when the schema name is not a plain identifier.
 */
export function searchPathStatement(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  return `SET LOCAL search_path TO ${schema}, public`;
}
