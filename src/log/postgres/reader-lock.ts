/**
 * Advisory-lock key of a consumer's reader on the PostgreSQL log: the one process reading
 * `name` holds it for its session (see `PgSubscription.becomeActiveReader`).
 */
export const readerLockKey = (name: string): string => `leadline-consumer:${name}`;
