import { describe, expect, inject, it } from 'vitest';
import { registerTenant } from '../../src/commands/register-tenant.ts';
import type { Consumer } from '../../src/log/event-log.ts';
import { withPoisonPolicy } from '../../src/log/dead-letters/poison-policy.ts';
import { consumerSpecs } from '../../src/runtime/consumers.ts';
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
