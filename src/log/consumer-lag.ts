/** How far one consumer is behind the head of the log ({@link EventLog.consumerLag}). */
export interface ConsumerLag {
  consumer: string;
  /** Events appended that it has not handled yet. */
  eventsBehind: number;
  /** Age (s) of the oldest event it has not handled; 0 when caught up. */
  secondsBehind: number;
  /** Events it has handled since its position was last forgotten. */
  eventsHandled: number;
  /** When its checkpoint last moved (UTC ISO-8601); null: never ran. */
  checkpointAt: string | null;
}

/** One consumer's lag as an adapter measures it, before it is put in {@link ConsumerLag} units. */
export interface MeasuredLag {
  consumer: string;
  /** Events handled (a bigint as text, or a number). */
  handled: string | number;
  /** When its checkpoint last moved; null: never ran. */
  updatedAt: Date | null;
  /** Events behind the head (a bigint as text, or a number). */
  behind: string | number;
  /** When the oldest event it has not handled was recorded; null: caught up. */
  oldest: Date | null;
}

/**
 * Puts measured lags in {@link ConsumerLag} units, one per name of `consumers`, in that
 * order; a name without a measurement is reported as caught up and never run.
 * @param now the instant ages are measured at (ms since the epoch).
 */
export function toConsumerLags(
  consumers: readonly string[],
  measured: readonly MeasuredLag[],
  now: number = Date.now(),
): ConsumerLag[] {
  const byName = new Map(measured.map((m) => [m.consumer, m]));
  return consumers.map((consumer) => {
    const m = byName.get(consumer);
    return {
      consumer,
      eventsBehind: Number(m?.behind ?? 0),
      secondsBehind: m?.oldest ? Math.max(0, Math.round((now - m.oldest.getTime()) / 1000)) : 0,
      eventsHandled: Number(m?.handled ?? 0),
      checkpointAt: m?.updatedAt?.toISOString() ?? null,
    };
  });
}
