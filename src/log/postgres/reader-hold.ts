import pg from 'pg';
import { clientConfig } from '../../db/client-config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ReaderHold } from '../reader-hold.ts';
import { readerLockKey } from './reader-lock.ts';

/**
 * Takes every named consumer's reader lock (the session advisory lock a PostgreSQL reader
 * holds while it reads, see `PgSubscription`) on a dedicated connection to `url`, so no
 * reader of them can start until `release` (which closes that connection). When one lock is
 * held by a running reader, the locks taken so far are given back and the answer is busy.
 * @throws Error when the connection cannot be opened.
 */
export async function holdPostgresReaders(
  url: string,
  names: readonly string[],
  log: Logger,
): Promise<ReaderHold> {
  const client = new pg.Client(clientConfig(url));
  client.on('error', (error) => log.warn({ err: error }, 'reader hold connection error'));
  await client.connect();
  const release = async () => {
    await client.end().catch(() => {});
  };
  try {
    for (const name of names) {
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [readerLockKey(name)],
      );
      if (rows[0]?.ok !== true) {
        await release();
        return {
          held: false,
          busy: `a Leadline worker is running against this database (it reads ${name})`,
        };
      }
    }
    return { held: true, release };
  } catch (error) {
    await release();
    throw error;
  }
}
