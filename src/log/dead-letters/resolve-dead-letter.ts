import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { NotFoundError, ValidationError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Consumer } from '../event-log.ts';
import { rollback, withTransaction } from '../../db/transaction.ts';
import { searchPathStatement } from '../retry-delay.ts';
import {
  deadLetterStatus,
  findDeadLetter,
  setDeadLetterStatus,
  type DeadLetter,
} from './dead-letter-store.ts';

/** How a parked stream's events are handled again: the consumer and the mode it runs in. */
export interface ConsumerBinding {
  consumer: Consumer;
  replay: boolean;
  /** The rebuild schema searched first, for a consumer that is a rebuild. */
  searchPath?: string;
}

/** What an operator's retry or skip came to. */
export type Resolution =
  | { outcome: 'resolved' | 'skipped'; handled: number }
  | { outcome: 'failed'; error: string }
  | { outcome: 'requested' };

/** Settings of {@link retryDeadLetter} and {@link skipDeadLetter}. */
export interface ResolveSettings {
  pool: pg.Pool;
  /** The consumer a dead letter belongs to, by its name. */
  bind: (consumerName: string) => Promise<ConsumerBinding>;
  log: Logger;
  /** How long to wait for a running `stop` consumer to act on the request (ms). Default 15000. */
  waitMs?: number;
}

async function openLetter(pool: pg.Pool, id: string): Promise<DeadLetter> {
  if (!/^\d+$/.test(id)) throw new ValidationError(`dead letter id must be a number, got "${id}"`);
  const letter = await findDeadLetter(pool, id);
  if (!letter) throw new NotFoundError(`no dead letter ${id}`, 'DEAD_LETTER_NOT_FOUND');
  if (letter.status === 'resolved' || letter.status === 'skipped') {
    throw new ValidationError(`dead letter ${id} is already ${letter.status}`, 'ALREADY_RESOLVED');
  }
  return letter;
}

/**
 * Retries dead letter `id`.
 * - `park`: handles the parked events of its stream now, in order, in one transaction (the
 *   consumer's live reader waits for it on the parked row); on success the stream flows again.
 * - `stop`: asks the stopped consumer to try the event again and waits up to `waitMs` for
 *   the outcome; `requested` when no running worker acted in time (it will when it runs).
 * @throws NotFoundError for an unknown id; ValidationError when it is already resolved.
 */
export async function retryDeadLetter(id: string, settings: ResolveSettings): Promise<Resolution> {
  const letter = await openLetter(settings.pool, id);
  if (letter.policy === 'park') return replayParked(letter, settings, { skipFirst: false });
  return request(letter, 'retry-requested', settings);
}

/**
 * Skips dead letter `id`: the event is never handled by this consumer.
 * - `park`: the other parked events of its stream are handled now, in order, and the
 *   stream flows again;
 * - `stop`: the stopped consumer steps over the event and goes on.
 * @throws NotFoundError for an unknown id; ValidationError when it is already resolved.
 */
export async function skipDeadLetter(id: string, settings: ResolveSettings): Promise<Resolution> {
  const letter = await openLetter(settings.pool, id);
  if (letter.policy === 'park') return replayParked(letter, settings, { skipFirst: true });
  return request(letter, 'skip-requested', settings);
}

async function request(
  letter: DeadLetter,
  status: 'retry-requested' | 'skip-requested',
  settings: ResolveSettings,
): Promise<Resolution> {
  await setDeadLetterStatus(settings.pool, letter.id, status);
  const deadline = Date.now() + (settings.waitMs ?? 15_000);
  while (Date.now() < deadline) {
    await sleep(200);
    const now = await deadLetterStatus(settings.pool, letter.id);
    if (now === 'resolved' || now === 'skipped') return { outcome: now, handled: 1 };
    if (now === 'open') {
      const again = await findDeadLetter(settings.pool, letter.id);
      return { outcome: 'failed', error: again?.error ?? 'failed again' };
    }
  }
  return { outcome: 'requested' };
}

async function replayParked(
  letter: DeadLetter,
  settings: ResolveSettings,
  options: { skipFirst: boolean },
): Promise<Resolution> {
  const binding = await settings.bind(letter.consumer);
  const setup = binding.searchPath ? searchPathStatement(binding.searchPath) : undefined;
  const resolution = await withTransaction<Resolution>(
    settings.pool,
    async (client) => {
      await client.query(
        `SELECT 1 FROM parked_streams WHERE consumer_name = $1 AND stream_id = $2 FOR UPDATE`,
        [letter.consumer, letter.streamId],
      );
      const { rows } = await client.query<{ event: RecordedLeadlineEvent }>(
        `SELECT event FROM parked_events WHERE consumer_name = $1 AND stream_id = $2 ORDER BY seq`,
        [letter.consumer, letter.streamId],
      );
      let handled = 0;
      for (const { event } of rows) {
        if (options.skipFirst && event.id === letter.eventId) continue;
        try {
          await binding.consumer.handle(event, {
            db: client,
            replay: binding.replay,
            log: settings.log.child({ consumer: letter.consumer, eventId: event.id }),
          });
        } catch (error) {
          const message =
            error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          throw rollback({ outcome: 'failed', error: message });
        }
        handled++;
      }
      await client.query(`DELETE FROM parked_events WHERE consumer_name = $1 AND stream_id = $2`, [
        letter.consumer,
        letter.streamId,
      ]);
      await client.query(`DELETE FROM parked_streams WHERE consumer_name = $1 AND stream_id = $2`, [
        letter.consumer,
        letter.streamId,
      ]);
      const outcome = options.skipFirst ? 'skipped' : 'resolved';
      await setDeadLetterStatus(client, letter.id, outcome);
      return { outcome, handled };
    },
    setup ? { setup } : {},
  );
  if (resolution.outcome === 'failed') {
    // Counted after the rollback, outside the transaction that held the stream.
    await settings.pool.query(
      `UPDATE dead_letters SET attempts = attempts + 1, error = $2, updated_at = now() WHERE id = $1`,
      [letter.id, resolution.error],
    );
  }
  return resolution;
}
