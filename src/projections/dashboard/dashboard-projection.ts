import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Consumer, ConsumerContext } from '../../log/event-log.ts';
import { foldDashboard, neededRows } from './dashboard-fold.ts';
import { loadDashboardRows, saveDashboardRows } from './dashboard-rows.ts';

/** The channel the dashboard projection NOTIFYs with a tenant id when its model changed. */
export const DASHBOARD_CHANNEL = 'leadline_dashboard';

/**
 * Builds the dashboard read model (`dashboard_calls`, `dashboard_leads`,
 * `dashboard_messages`) from lead streams, a batch at a time: reads the rows the batch names
 * (`neededRows`, four queries), folds the events into them in memory (`foldDashboard`, the
 * rules), and writes each changed row once (one statement: an upsert per table). Every write is keyed by
 * the fact's own id (CallSid, MessageSid, outbox id), and counters move only when a row is
 * first inserted, so a replay into empty tables rebuilds the same model. A single event is a
 * batch of one: live and replay take the same path.
 */
export const dashboardProjection: Consumer = {
  name: 'projection:dashboard',
  asyncCommit: true,
  handle: (event, ctx) => projectBatch([event], ctx),
  handleBatch: projectBatch,
};

async function projectBatch(
  events: readonly RecordedLeadlineEvent[],
  { db, replay }: ConsumerContext,
): Promise<void> {
  const needed = neededRows(events);
  if (needed.leads.length === 0) return;
  const rows = await loadDashboardRows(db, needed);
  foldDashboard(rows, events);
  // The page's live stream (`/api/v1/stream`) is told on commit, in the same statement as the
  // writes. Not while replaying: a rebuild writes tables nobody reads yet.
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
}
