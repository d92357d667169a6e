import { describe, expect, inject, it } from 'vitest';
import { registerTenant } from '../../src/commands/register-tenant.ts';
import type { Consumer, ConsumerContext } from '../../src/log/event-log.ts';
import { withPoisonPolicy } from '../../src/log/dead-letters/poison-policy.ts';
import { consumerSpecs } from '../../src/runtime/consumers.ts';
import { dashboardProjectionWith } from '../../src/projections/dashboard/dashboard-projection.ts';
import type { RowCacheLimits } from '../../src/projections/dashboard/dashboard-row-cache.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import { mixedLog, type MixedLogTenant } from '../../harness/mixed-log.ts';
import { createTestDatabase } from '../support/database.ts';
import { logBackends, type OpenedLog } from '../support/log-backends.ts';
import { READ_MODELS, readModels } from '../support/read-models.ts';

const brokers = inject('kafkaBrokers');
if (!brokers)
  console.log(`[kafka] batch equivalence on Kafka skipped: ${inject('kafkaSkipReason')}`);

/**
 * Every consumer run in whole batches (`handleBatch`: fold in memory, one write per changed
 * row) must leave exactly what running it one event at a time leaves: the same read models,
 * processor state, outbox and timers, live and in a replay, on both logs.
 */

/** Tables a replay rebuilds (the outbox and timers are only written live). */
const REBUILT = [
  'dashboard_calls',
  'dashboard_leads',
  'dashboard_messages',
  'consent_gate',
  'consent_records',
  'consent_chain_heads',
  'lead_states',
];

const backends = logBackends(brokers, 'be');

/** `consumer` without `handleBatch`: the adapter hands it one event at a time. */
const oneAtATime = (consumer: Consumer): Consumer => ({
  name: consumer.name,
  handle: (event, ctx) => consumer.handle(event, ctx),
});

/** The state both runs built (consent records by event on Kafka: see `readModels`). */
const snapshot = (opened: OpenedLog) =>
  readModels(opened, { unchained: opened.positionPrefix !== undefined });

/** Runs every consumer (poison policy on, as a worker runs them) until caught up. */
async function runConsumers(
  opened: OpenedLog,
  wrap: (consumer: Consumer) => Consumer,
  options: { from?: 'start'; replay?: boolean } = {},
): Promise<void> {
  const subscriptions = consumerSpecs.map((spec) =>
    opened.log.subscribe(
      withPoisonPolicy(wrap(spec.consumer), {
        policy: spec.onPoison,
        maxAttempts: 3,
        pool: opened.pool,
      }),
      options,
    ),
  );
  for (const s of subscriptions) await s.whenCaughtUp(120_000);
  for (const s of subscriptions) await s.stop();
}

/** A fresh database and log holding the same mixed log of `events` events over two tenants. */
async function seeded(
  open: (url: string) => Promise<OpenedLog>,
  events: number,
): Promise<OpenedLog> {
  const opened = await open(await createTestDatabase());
  const tenants: MixedLogTenant[] = [];
  for (const [i, name] of ['North Plumbing', 'South Drains'].entries()) {
    const { tenant } = await registerTenant(
      {
        name,
        twilioNumber: `+1416555010${i}`,
        ownerPhone: `+1416555019${i}`,
        timezone: 'America/Toronto',
        businessHours: '00:00-24:00',
      },
      { log: opened.log, db: opened.pool, clock: fixedClock('2026-05-01T12:00:00Z') },
    );
    tenants.push(tenant);
  }
  for (const group of mixedLog({ tenants, leadsPerTenant: 40, events, seed: 7 })) {
    await opened.log.append(group);
  }
  return opened;
}

describe.each(backends)('batch consumers on the $backend log', ({ open }) => {
  it('leave the same read models, processor state, outbox and timers as one event at a time, live and replayed', async () => {
    const events = 3_000;
    const single = await seeded(open, events);
    const batched = await seeded(open, events);
    try {
      await runConsumers(single, oneAtATime);
      await runConsumers(batched, (consumer) => consumer);
      const expected = await snapshot(single);
      // The log exercised the model: rows in every table.
      for (const table of Object.keys(READ_MODELS)) {
        expect(expected[table]!.length, `${table} rows`).toBeGreaterThan(0);
      }
      expect(await snapshot(batched)).toEqual(expected);

      // A replay in whole batches into emptied tables rebuilds the same state.
      await batched.pool.query(`TRUNCATE ${REBUILT.join(', ')}`);
      await runConsumers(batched, (consumer) => consumer, { from: 'start', replay: true });
      expect(await snapshot(batched)).toEqual(expected);
    } finally {
      await single.close();
      await batched.close();
    }
    // 3,000 events one at a time through every consumer: about 18,000 transactions, which
    // took 26-29 s alone and over 60 s beside the rest of the suite on 2 busy cores.
  }, 180_000);
});

/**
 * `dashboardProjectionWith(limits)`, counting the batches that read lead rows back from the
 * tables, and failing once, after its writes, on batch number `failAt` (the adapter then
 * rolls the batch back and retries it).
 */
function observedDashboard(limits?: RowCacheLimits, failAt?: number) {
  const inner = dashboardProjectionWith(limits);
  const seen = { leadLoads: 0, batches: 0 };
  const counting = (ctx: ConsumerContext): ConsumerContext => ({
    ...ctx,
    db: new Proxy(ctx.db, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (property !== 'query') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) => {
          if (typeof args[0] === 'string' && args[0].includes('FROM dashboard_leads l')) {
            seen.leadLoads++;
          }
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      },
    }),
  });
  const consumer: Consumer = {
    name: inner.name,
    handle: (event, ctx) => inner.handle(event, counting(ctx)),
    handleBatch: async (events, ctx) => {
      await inner.handleBatch!(events, counting(ctx));
      if (++seen.batches === failAt) throw new Error('injected: the batch fails after its writes');
    },
  };
  return { consumer, seen };
}

describe('a dashboard replay on the postgres log, keeping its rows in memory', () => {
  const postgres = backends.find((b) => b.backend === 'postgres')!;

  it('rebuilds what the live projection built: all rows kept, few, given up, or a batch failing after its writes', async () => {
    const opened = await seeded(postgres.open, 3_000);
    const dashboard = async () => {
      const models = await snapshot(opened);
      return [models.dashboard_calls, models.dashboard_leads, models.dashboard_messages];
    };
    const replay = async (consumer: Consumer) => {
      await opened.pool.query('TRUNCATE dashboard_calls, dashboard_leads, dashboard_messages');
      const subscription = opened.log.subscribe(
        withPoisonPolicy(consumer, { policy: 'stop', maxAttempts: 3, pool: opened.pool }),
        { from: 'start', replay: true },
      );
      await subscription.whenCaughtUp(120_000);
      await subscription.stop();
    };
    try {
      const live = observedDashboard();
      const subscription = opened.log.subscribe(live.consumer);
      await subscription.whenCaughtUp(120_000);
      await subscription.stop();
      const expected = await dashboard();
      expect(expected[1]!.length).toBeGreaterThan(0);
      // Live, every batch reads its leads back.
      expect(live.seen.leadLoads).toBeGreaterThan(0);

      const all = observedDashboard();
      await replay(all.consumer);
      expect(await dashboard(), 'every row kept').toEqual(expected);
      expect(all.seen.leadLoads, 'every row kept: none read back').toBe(0);

      const few = observedDashboard({ rows: 20, keys: 1_000_000 });
      await replay(few.consumer);
      expect(await dashboard(), '20 rows kept').toEqual(expected);
      expect(few.seen.leadLoads, '20 rows kept: the rows let go read back').toBeGreaterThan(0);

      const givingUp = observedDashboard({ rows: 1_000, keys: 300 });
      await replay(givingUp.consumer);
      expect(await dashboard(), 'the cache given up at 300 keys').toEqual(expected);

      // The third batch wrote and kept its rows, then failed: the retry must not find them
      // in memory as if committed (its counters would count the batch's events twice).
      const failing = observedDashboard(undefined, 3);
      await replay(failing.consumer);
      expect(failing.seen.batches).toBeGreaterThan(3);
      expect(await dashboard(), 'a batch failing after its writes').toEqual(expected);
    } finally {
      await opened.close();
    }
  }, 120_000);
});
