import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until the service has nothing left to do: every consumer's checkpoint is at the head
 * of the log and no outbound message is pending or being sent, twice in a row 100 ms apart.
 * Negative assertions ("no text was sent") are made after this, never after a fixed sleep.
 */
export async function waitUntilSettled(
  databaseUrl: string,
  consumers: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let quietRounds = 0;
    while (quietRounds < 2) {
      if (Date.now() > deadline) throw new Error('service did not settle in time');
      const { rows } = await client.query<{ behind: number; busy: number }>(
        `WITH head AS (SELECT epoch, transaction_id, position FROM events
                        ORDER BY epoch DESC, transaction_id DESC, position DESC LIMIT 1)
         SELECT (SELECT count(*)::int FROM unnest($1::text[]) c(name)
                  LEFT JOIN consumer_checkpoints k ON k.consumer_name = c.name, head
                  WHERE k.consumer_name IS NULL
                     OR (k.epoch, k.transaction_id, k.position) < (head.epoch, head.transaction_id, head.position)) AS behind,
                (SELECT count(*)::int FROM outbound_messages WHERE status IN ('pending', 'sending')) AS busy`,
        [consumers],
      );
      const idle = rows[0]!.behind === 0 && rows[0]!.busy === 0;
      quietRounds = idle ? quietRounds + 1 : 0;
      await sleep(100);
    }
  } finally {
    await client.end();
  }
}

/** Every consumer `leadline serve` runs. */
export const SERVICE_CONSUMERS = [
  'projection:tenants',
  'projection:dashboard',
  'processor:lead-conversation',
];
