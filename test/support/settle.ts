import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

/** Every consumer `leadline serve` runs. */
export const SERVICE_CONSUMERS = [
  'projection:tenants',
  'projection:consent-gate',
  'projection:consent-ledger',
  'projection:dashboard',
  'processor:lead-conversation',
  'processor:quota-guard',
];

/** How many of `consumers` are behind the head of the PostgreSQL log. */
const POSTGRES_BEHIND = `
  WITH head AS (SELECT epoch, transaction_id, position FROM events
                 ORDER BY epoch DESC, transaction_id DESC, position DESC LIMIT 1)
  SELECT count(*)::int AS n FROM unnest($1::text[]) c(name)
    LEFT JOIN consumer_checkpoints k ON k.consumer_name = c.name, head
   WHERE k.consumer_name IS NULL
      OR (k.epoch, k.transaction_id, k.position) < (head.epoch, head.transaction_id, head.position)`;

/** The (consumer, partition) pairs behind what was appended to Kafka, with where each is. */
const KAFKA_BEHIND_PAIRS = `
  WITH landed AS (SELECT topic, partition, "offset" AS last FROM kafka_appends WHERE state = 'appended'
                  UNION ALL
                  SELECT r.topic, r.partition, r.base + r.size - 1 FROM kafka_append_landings l,
                         unnest(l.topics, l.partitions, l.base_offsets, l.sizes) AS r(topic, partition, base, size)),
       head AS (SELECT topic, partition, max(last) AS last FROM landed GROUP BY topic, partition)
  SELECT c.name || ' ' || head.topic || '/' || head.partition || ' at ' ||
         COALESCE(o.next_offset::text, 'no offset') || ', last appended ' || head.last AS pair
    FROM unnest($1::text[]) c(name) CROSS JOIN head
    LEFT JOIN kafka_offsets o ON o.consumer_name = c.name AND o.topic = head.topic AND o.partition = head.partition
   WHERE o.next_offset IS NULL OR o.next_offset <= head.last`;

/**
 * Waits until the service has nothing left to do now: every consumer has handled everything
 * appended (on either log), no outbound message or call-back is pending or being sent, no
 * lead's text waits for its qualification assessment, and
 * no timer is due, twice in a row 100 ms apart. Timers due later (a grouped alert's window) and texts
 * deferred by quiet hours do not count. Negative assertions ("no text was sent") are made after this, never after a
 * fixed sleep.
 */
export async function waitUntilSettled(
  databaseUrl: string,
  consumers: string[] = SERVICE_CONSUMERS,
  timeoutMs = 45_000,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let quietRounds = 0;
    let waitingFor = '';
    while (quietRounds < 2) {
      if (Date.now() > deadline) {
        throw new Error(
          `service did not settle in ${timeoutMs} ms; still waiting for ${waitingFor}`,
        );
      }
      // One client runs one query at a time (pg 9 will refuse overlapping ones).
      const pgBehind = await client.query<{ n: number }>(POSTGRES_BEHIND, [consumers]);
      const kafkaBehind = await client.query<{ pair: string }>(KAFKA_BEHIND_PAIRS, [consumers]);
      const busy = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbound_messages WHERE status IN ('pending', 'sending')
            AND NOT (deferred_until IS NOT NULL AND next_attempt_at > now())`,
      );
      const dueTimers = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM timers WHERE fired_at IS NULL AND due_at <= now()',
      );
      const calls = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM outbound_calls WHERE status IN ('pending', 'placing')",
      );
      const assessing = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM qualification_requests WHERE status IN ('pending', 'assessing')",
      );
      const waiting = {
        'consumers behind on PostgreSQL': pgBehind.rows[0]!.n,
        'consumer partitions behind on Kafka': kafkaBehind.rows.length,
        'texts pending or sending': busy.rows[0]!.n,
        'timers due': dueTimers.rows[0]!.n,
        'call-backs pending': calls.rows[0]!.n,
        'assessments pending': assessing.rows[0]!.n,
      };
      waitingFor = Object.entries(waiting)
        .filter(([, n]) => n > 0)
        .map(([what, n]) => `${what}: ${n}`)
        .join(', ');
      // Which ones, so a timeout says where each consumer stands.
      if (kafkaBehind.rows.length > 0) {
        waitingFor += ` (${kafkaBehind.rows.map((r) => r.pair).join('; ')})`;
      }
      const idle = waitingFor === '';
      quietRounds = idle ? quietRounds + 1 : 0;
      if (quietRounds < 2) await sleep(100);
    }
  } finally {
    await client.end();
  }
}

/**
 * Waits until the service has settled (so the timers its processors set exist), then until
 * every timer due within the next `horizonMs` (a takeover window, a voicemail's wait for its
 * transcript) has fired, then until it has settled again: what a fixed sleep "past the
 * window" meant, without sleeping longer than the window. Timers due later (hours away) do
 * not count.
 * @throws Error when they have not fired within `timeoutMs`.
 */
export async function waitUntilTimersFired(
  databaseUrl: string,
  horizonMs = 10_000,
  timeoutMs = 30_000,
): Promise<void> {
  await waitUntilSettled(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM timers
          WHERE fired_at IS NULL AND due_at < now() + make_interval(secs => $1::double precision / 1000)`,
        [horizonMs],
      );
      if (rows[0]!.n === 0) break;
      if (Date.now() > deadline)
        throw new Error(`${rows[0]!.n} timers not fired in ${timeoutMs} ms`);
      await sleep(100);
    }
  } finally {
    await client.end();
  }
  await waitUntilSettled(databaseUrl);
}
