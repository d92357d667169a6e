import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EventLog, Subscription } from '../../log/event-log.ts';
import { listDeadLetters } from '../../log/dead-letters/dead-letter-store.ts';
import { rollback, withTransaction } from '../../db/transaction.ts';
import { withPoisonPolicy } from '../../log/dead-letters/poison-policy.ts';
import type { Logger } from '../../shared/logger.ts';
import { REBUILD_SUFFIX } from '../consumer-binding.ts';
import { shortName, type ConsumerSpec } from '../consumers.ts';
import type { Progress } from './progress.ts';
import {
  analyzeTables,
  buildReaderIndexes,
  createRebuildTables,
  dropSchema,
  lockServingTables,
  rebuildSchemaName,
  swapTables,
} from './rebuild-tables.ts';
import { servingVersion } from './projection-versions.ts';

/** Settings of {@link rebuildConsumer}. */
export interface RebuildSettings {
  log: EventLog;
  pool: pg.Pool;
  logger: Logger;
  /** Attempts at one event before the rebuild dead-letters it (`LEADLINE_CONSUMER_MAX_ATTEMPTS`). */
  maxAttempts: number;
  /** False: build and catch up, then stop without switching (`--no-switch`). */
  switchWhenCaughtUp: boolean;
  /** Aborting pauses the rebuild: what it built is kept and the next run resumes it. */
  signal: AbortSignal;
  onProgress: (progress: Progress) => void;
  /** How often progress is reported (ms). Default 500. */
  progressIntervalMs?: number;
  /** How long the switch may wait for the serving tables' locks, per attempt (ms). Default 5000. */
  lockTimeoutMs?: number;
}

/** How a rebuild ended. */
export type RebuildOutcome =
  | { outcome: 'switched'; version: number; events: number; seconds: number; rate: number }
  | { outcome: 'caught-up'; version: number; events: number; seconds: number; rate: number }
  | { outcome: 'interrupted'; done: number; total: number }
  | { outcome: 'stopped'; deadLetterId: string; error: string };

const SWITCH_ATTEMPTS = 10;
/** How stale the log's event count in a rebuild's progress may grow before it is recounted (ms). */
const TOTAL_RECOUNT_MS = 10_000;
/** Events handled before the rebuilt tables' first `ANALYZE`; each next one after this growth. */
const ANALYZE_FIRST_AT = 20_000;
const ANALYZE_GROWTH = 4;
const TRANSIENT_SWITCH_FAILURES = new Set(['55P03', '40P01', '40001']);

/**
 * Rebuilds one consumer's state from the start of the log without taking it offline
 * (design §5): the consumer runs under `<name>#rebuild` in replay mode (nothing is sent, no
 * timer is set) into copies of its tables in `rebuild_<name>`, while the serving version
 * keeps serving and its live consumer keeps applying new events. Once caught up, one
 * transaction locks the serving tables, checks the rebuild has handled what the live
 * consumer has (the same position; for a consumer that acts on a few event types, no event
 * of those types between the two; or takes over its position when no worker reads a
 * projection), swaps the tables and records the new version; then the old tables are dropped.
 * The check uses the new version's `eventTypes`: a live worker still running older code
 * with other types would apply events of those to the new tables after the switch anyway,
 * as it does with any event it reads after it.
 *
 * Resumable: the rebuild's tables and checkpoint are kept when it is interrupted, and the
 * next run for the same code version goes on from there.
 * @throws Error when the switch cannot get its locks in {@link SWITCH_ATTEMPTS} attempts.
 */
export async function rebuildConsumer(
  spec: ConsumerSpec,
  settings: RebuildSettings,
): Promise<RebuildOutcome> {
  const { pool, log } = settings;
  const liveName = spec.consumer.name;
  const rebuildName = `${liveName}${REBUILD_SUFFIX}`;
  const schema = rebuildSchemaName(shortName(spec));
  await startOrResume(spec, schema, rebuildName, settings);

  const rebuilding: Consumer = {
    name: rebuildName,
    handle: (event, ctx) => spec.consumer.handle(event, ctx),
    // A rebuild writes tables nobody reads until the switch: the switch commits durably.
    asyncCommit: true,
    ...(spec.consumer.eventTypes && { eventTypes: spec.consumer.eventTypes }),
    ...(spec.consumer.handleBatch && {
      handleBatch: (events, ctx) => spec.consumer.handleBatch!(events, ctx),
    }),
  };
  const guarded = withPoisonPolicy(rebuilding, {
    policy: spec.onPoison,
    maxAttempts: settings.maxAttempts,
    pool,
  });
  const subscribe = (): Subscription =>
    log.subscribe(guarded, { replay: true, searchPath: schema });

  const startedAt = Date.now();
  const doneAtStart = await log.positions.handled(pool, rebuildName);
  // Counting the log is a scan of it (on PostgreSQL, `count(*)` of `events`: 60-70 ms for a
  // million events, on the cores the rebuild needs), so the total is counted again only
  // when the rebuild reaches it or it is older than TOTAL_RECOUNT_MS.
  let total = { events: 0, countedAt: -Infinity };
  const progress = async (): Promise<Progress> => {
    const done = await log.positions.handled(pool, rebuildName);
    if (done >= total.events || Date.now() - total.countedAt > TOTAL_RECOUNT_MS) {
      total = { events: await log.positions.total(pool), countedAt: Date.now() };
    }
    const seconds = (Date.now() - startedAt) / 1000;
    return {
      done,
      total: total.events,
      rate: seconds > 0 ? (done - doneAtStart) / seconds : 0,
    };
  };

  let subscription = subscribe();
  // The new tables' statistics, gathered as they grow (see `analyzeTables`).
  let analyzeAt = ANALYZE_FIRST_AT;
  for (;;) {
    await sleep(settings.progressIntervalMs ?? 500, undefined, { signal: settings.signal }).catch(
      () => {},
    );
    const now = await progress();
    settings.onProgress(now);
    if (settings.signal.aborted) {
      await subscription.stop();
      return { outcome: 'interrupted', done: now.done, total: now.total };
    }
    const stop = (await listDeadLetters(pool, { consumer: rebuildName })).find(
      (letter) => letter.policy === 'stop' && letter.status === 'open',
    );
    if (stop) {
      await subscription.stop();
      return { outcome: 'stopped', deadLetterId: stop.id, error: stop.error };
    }
    if (now.done >= now.total) break;
    if (now.done >= analyzeAt) {
      analyzeAt = now.done * ANALYZE_GROWTH;
      // Only for speed: a failure is logged, and the rebuild goes on.
      await analyzeTables(pool, schema, spec.tables).catch((error: unknown) =>
        settings.logger.warn(
          { err: error, consumer: liveName },
          'ANALYZE of rebuilt tables failed',
        ),
      );
    }
  }
  await subscription.whenCaughtUp(120_000);
  await subscription.stop();
  const [unresolved] = await listDeadLetters(pool, { consumer: rebuildName });
  if (unresolved) {
    // A parked stream is missing from the rebuilt state: never switch to it like that.
    return { outcome: 'stopped', deadLetterId: unresolved.id, error: unresolved.error };
  }
  const finished = await progress();
  settings.onProgress(finished);
  const summary = {
    version: spec.version,
    events: finished.done,
    seconds: (Date.now() - startedAt) / 1000,
    rate: finished.rate,
  };
  if (!settings.switchWhenCaughtUp) {
    await pool.query(
      'UPDATE projection_rebuilds SET caught_up_at = now() WHERE consumer_name = $1',
      [liveName],
    );
    return { outcome: 'caught-up', ...summary };
  }

  await buildReaderIndexes(pool, schema, spec.tables);
  for (let attempt = 1; ; attempt++) {
    const result = await trySwitch(spec, schema, rebuildName, settings);
    if (result === 'switched') break;
    if (attempt >= SWITCH_ATTEMPTS) {
      throw new Error(
        `could not switch ${liveName} after ${attempt} attempts (${result}); the rebuild is kept: run it again`,
      );
    }
    settings.logger.info({ consumer: liveName, attempt, reason: result }, 'switch deferred');
    // The live consumer moved on (or a lock was busy): catch up again, then retry.
    subscription = subscribe();
    await subscription.whenCaughtUp(120_000);
    await subscription.stop();
  }
  await log.positions.forget(pool, rebuildName);
  return { outcome: 'switched', ...summary };
}

/** Creates (or keeps, for the same version) the rebuild's schema, tables and record. */
async function startOrResume(
  spec: ConsumerSpec,
  schema: string,
  rebuildName: string,
  settings: RebuildSettings,
): Promise<void> {
  const { pool, log } = settings;
  const { rows } = await pool.query<{ version: number }>(
    'SELECT version FROM projection_rebuilds WHERE consumer_name = $1',
    [spec.consumer.name],
  );
  if (rows[0] && rows[0].version !== spec.version) {
    // A rebuild of another code version: what it built is of no use.
    await dropSchema(pool, schema);
    await pool.query('DELETE FROM projection_rebuilds WHERE consumer_name = $1', [
      spec.consumer.name,
    ]);
  }
  if (!rows[0] || rows[0].version !== spec.version) {
    await log.positions.forget(pool, rebuildName);
    await dropSchema(pool, schema);
  }
  await withTransaction(pool, async (client) => {
    await createRebuildTables(client, schema, spec.tables, spec.readerIndexes);
    await client.query(
      `INSERT INTO projection_rebuilds (consumer_name, version, schema_name) VALUES ($1, $2, $3)
       ON CONFLICT (consumer_name) DO NOTHING`,
      [spec.consumer.name, spec.version, schema],
    );
  });
}

/** How the switch's transaction ended: committed, or rolled back and why. */
type SwitchOutcome = 'switched' | 'processor behind' | 'live consumer moved on';

/**
 * One attempt at the switch, in one transaction.
 * @returns `switched`, or why not this time (`live consumer moved on`, `lock busy`).
 */
async function trySwitch(
  spec: ConsumerSpec,
  schema: string,
  rebuildName: string,
  settings: RebuildSettings,
): Promise<string> {
  const { pool, log } = settings;
  const liveName = spec.consumer.name;
  const previous = await servingVersion(pool, liveName);
  const retired = `retired_${schema.replace(/^rebuild_/, '')}_v${previous}`;
  // The client is held past the transaction: a processor's readers are counted after its
  // rollback, outside any transaction.
  const client = await pool.connect();
  try {
    const outcome = await withTransaction<SwitchOutcome>(client, async (tx) => {
      await lockServingTables(tx, spec.tables, settings.lockTimeoutMs ?? 5_000);
      await log.positions.lock(tx, liveName);
      const same = await log.positions.same(tx, rebuildName, liveName);
      const idle =
        !same &&
        spec.kind === 'projection' &&
        (await log.positions.activeReaders(tx, liveName)) === 0;
      if (idle) {
        // No worker reads this projection now (and on PostgreSQL none can start before we commit).
        await log.positions.copy(tx, rebuildName, liveName);
      } else if (!same) {
        // A consumer that acts on a few types passes over others lazily (its position trails
        // the head while it has nothing to do): the same when none of its types lies between.
        const types = spec.consumer.eventTypes;
        const alike = types && (await log.positions.same(tx, rebuildName, liveName, types));
        // A processor's live position must match: events the rebuild replayed (in replay
        // mode: nothing sent) that the live processor has not handled would never be acted on.
        if (!alike) {
          throw rollback(spec.kind === 'processor' ? 'processor behind' : 'live consumer moved on');
        }
      }
      await swapTables(tx, schema, retired, spec.tables);
      await tx.query(
        `INSERT INTO projection_versions (consumer_name, version) VALUES ($1, $2)
         ON CONFLICT (consumer_name) DO UPDATE SET version = EXCLUDED.version, switched_at = now()`,
        [liveName, spec.version],
      );
      await tx.query('DELETE FROM projection_rebuilds WHERE consumer_name = $1', [liveName]);
      return 'switched';
    });
    if (outcome === 'processor behind') {
      if ((await log.positions.activeReaders(client, liveName)) === 0) {
        throw new Error(
          `${liveName} is behind the rebuild and no worker runs it: start a worker, let it catch up, then run the rebuild again (it resumes)`,
        );
      }
      return 'live consumer moved on';
    }
    if (outcome !== 'switched') return outcome;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && TRANSIENT_SWITCH_FAILURES.has(code)) return `lock busy (${code})`;
    throw error;
  } finally {
    client.release();
  }
  await dropSchema(pool, retired);
  await dropSchema(pool, schema);
  return 'switched';
}
