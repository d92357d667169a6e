import type pg from 'pg';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Consumer, ConsumerContext } from '../../log/event-log.ts';
import { addRows, foldDashboard, neededRows, type DashboardRows } from './dashboard-fold.ts';
import { dashboardIsEmpty, loadDashboardRows, saveDashboardRows } from './dashboard-rows.ts';
import {
  DashboardRowCache,
  DEFAULT_ROW_CACHE_LIMITS,
  type RowCacheLimits,
} from './dashboard-row-cache.ts';

/** The channel the dashboard projection NOTIFYs with a tenant id when its model changed. */
export const DASHBOARD_CHANNEL = 'leadline_dashboard';

/** Where the projection keeps its {@link DashboardRowCache} in `ConsumerContext.memo`. */
const ROW_CACHE = Symbol('dashboard row cache');
/** Kept instead of a cache when the tables held rows when the replay began: none is kept. */
const NO_CACHE = 'none';

/**
 * Builds the dashboard read model (`dashboard_calls`, `dashboard_leads`,
 * `dashboard_messages`) from lead streams, a batch at a time: reads the rows the batch names
 * (`neededRows`, four queries), folds the events into them in memory (`foldDashboard`, the
 * rules), and writes each changed row once (one statement: an upsert per table). Every write
 * is keyed by the fact's own id (CallSid, MessageSid, outbox id), and counters move only when
 * a row is first inserted, so a replay into empty tables rebuilds the same model. A single
 * event is a batch of one: live and replay take the same path.
 *
 * A replay into tables that were empty when it began (a rebuild, a restore) keeps the rows it
 * wrote in memory (`ConsumerContext.memo`, a {@link DashboardRowCache} within `cacheLimits`)
 * and reads from its tables only rows it let go.
 */
export function dashboardProjectionWith(
  cacheLimits: RowCacheLimits = DEFAULT_ROW_CACHE_LIMITS,
): Consumer {
  const projectBatch = (events: readonly RecordedLeadlineEvent[], ctx: ConsumerContext) =>
    project(events, ctx, cacheLimits);
  return {
    name: 'projection:dashboard',
    asyncCommit: true,
    handle: (event, ctx) => projectBatch([event], ctx),
    handleBatch: projectBatch,
  };
}

/** The dashboard projection as the service, rebuilds and restores run it. */
export const dashboardProjection: Consumer = dashboardProjectionWith();

async function project(
  events: readonly RecordedLeadlineEvent[],
  { db, replay, memo }: ConsumerContext,
  cacheLimits: RowCacheLimits,
): Promise<void> {
  const needed = neededRows(events);
  if (needed.leads.length === 0) return;
  const cache = memo && (await rowCache(memo, db, cacheLimits));
  try {
    let rows: DashboardRows;
    if (cache) {
      const taken = cache.take(needed);
      rows = taken.rows;
      addRows(rows, await loadDashboardRows(db, taken.missing));
    } else {
      rows = await loadDashboardRows(db, needed);
    }
    foldDashboard(rows, events);
    // The page's live stream (`/api/v1/stream`) is told on commit, in the same statement as
    // the writes. Not while replaying: a rebuild writes tables nobody reads yet.
    await saveDashboardRows(
      db,
      rows,
      replay
        ? undefined
        : {
            channel: DASHBOARD_CHANNEL,
            tenants: [...new Set(needed.leads.map(([tenantId]) => tenantId))],
          },
    );
    if (cache && !cache.keep(rows)) memo!.set(ROW_CACHE, NO_CACHE);
  } catch (error) {
    // The fold changed held rows in place, and a batch that still commits may undo this
    // call's writes (the poison policy's savepoint): the cache is no longer known to be true.
    // The next batch looks at the tables again.
    if (cache) memo!.delete(ROW_CACHE);
    throw error;
  }
}

/**
 * The replay's row cache: made on the first batch when the tables are empty, or none for the
 * rest of the replay (it began on rows it never saw: a resumed rebuild, a batch that failed).
 */
async function rowCache(
  memo: Map<unknown, unknown>,
  db: pg.ClientBase,
  limits: RowCacheLimits,
): Promise<DashboardRowCache | undefined> {
  let cache = memo.get(ROW_CACHE) as DashboardRowCache | typeof NO_CACHE | undefined;
  if (cache === undefined) {
    cache = (await dashboardIsEmpty(db)) ? new DashboardRowCache(limits) : NO_CACHE;
    memo.set(ROW_CACHE, cache);
  }
  return cache === NO_CACHE ? undefined : cache;
}
