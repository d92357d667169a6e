/**
 * Raised by {@link withDeadline} when the work did not settle in time. The work itself may
 * still finish later: callers treat this like a lost connection (the outcome is unknown).
 */
export class DeadlineExceededError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Settles like `work`, or rejects with {@link DeadlineExceededError} after `ms` milliseconds,
 * whichever comes first. The timer is cleared when `work` settles.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's error codes of a connection that failed or broke. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when `error` says a dependency (PostgreSQL, the Kafka brokers) is unreachable or going
 * away, not that the request was wrong: Node connection errors; PostgreSQL SQLSTATE classes 08
 * (connection exception), 57P (admin / crash shutdown, "the database system is starting up"),
 * 53300 (too many connections) and 25P03 (idle-in-transaction timeout: the session was
 * closed); node-postgres's "Connection terminated" and pool timeouts; kafkajs errors (every
 * `KafkaJS…` error is a broker or network condition it has already retried); and
 * {@link DeadlineExceededError}. Such failures are retried, spooled or reported as "not
 * ready"; anything else is a defect and surfaces as one.
 */
export function isUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (name === 'DeadlineExceededError') return true;
  if (typeof name === 'string' && name.startsWith('KafkaJS')) return true;
  if (typeof code === 'string') {
    if (/^(08|57P)/.test(code) || code === '53300' || code === '25P03') return true;
    if (CONNECTION_CODES.has(code)) return true;
  }
  return (
    typeof message === 'string' &&
    /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable|Cannot use a pool after calling end/i.test(
      message,
    )
  );
}

/**
 * True for failures that say nothing about the work itself and go away when tried again:
 * {@link isUnavailable}, serialization failures and deadlocks (SQLSTATE class 40).
 */
export function isTransient(error: unknown): boolean {
  if (isUnavailable(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('40');
}
