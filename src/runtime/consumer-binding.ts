import type pg from 'pg';
import type { ConsumerBinding } from '../log/dead-letters/resolve-dead-letter.ts';
import { consumerSpec } from './consumers.ts';

/** Suffix of the consumer name a rebuild reads under: `projection:dashboard#rebuild`. */
export const REBUILD_SUFFIX = '#rebuild';

/**
 * How to run the consumer called `name` outside its worker (an operator's `deadletters
 * retry`): a live consumer in live mode, a rebuild in replay mode against its own schema.
 * @throws NotFoundError for a name no consumer has; Error when a rebuild has no schema.
 */
export async function bindConsumer(pool: pg.Pool, name: string): Promise<ConsumerBinding> {
  if (!name.endsWith(REBUILD_SUFFIX))
    return { consumer: consumerSpec(name).consumer, replay: false };
  const base = name.slice(0, -REBUILD_SUFFIX.length);
  const { rows } = await pool.query<{ schema_name: string }>(
    'SELECT schema_name FROM projection_rebuilds WHERE consumer_name = $1',
    [base],
  );
  if (!rows[0]) throw new Error(`no rebuild of ${base} is under way`);
  return { consumer: consumerSpec(base).consumer, replay: true, searchPath: rows[0].schema_name };
}
