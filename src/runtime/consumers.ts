import type { Consumer } from '../log/event-log.ts';
import { NotFoundError } from '../shared/errors.ts';
import type { PoisonPolicy } from '../log/dead-letters/poison-policy.ts';
import {
  LEAD_CONVERSATION_TABLES,
  leadConversationProcessor,
} from '../processors/lead-conversation/processor.ts';
import { quotaGuardProcessor } from '../processors/quota-guard/processor.ts';
import {
  CONSENT_GATE_TABLES,
  CONSENT_LEDGER_TABLES,
  consentGateProjection,
  consentLedgerProjection,
} from '../consent/index.ts';
import { dashboardProjection } from '../projections/dashboard/dashboard-projection.ts';
import { tenantsProjection } from '../projections/tenants/tenants-projection.ts';

/**
 * What operators can do with one consumer of the log.
 *
 * - `version`: the version of what `handle` writes. Bump it when a change to the handler
 *   changes the tables' contents, then `leadline projections rebuild <name>` builds the new
 *   version beside the serving one and switches readers to it.
 * - `tables`: the `public` tables that hold this consumer's state, and only its state; a
 *   rebuild builds copies of them from the start of the log.
 * - `onPoison`: a projection's correctness depends on order, so it `stop`s at an event it
 *   cannot handle; a processor `park`s that event's stream and goes on with the others.
 */
export interface ConsumerSpec {
  consumer: Consumer;
  kind: 'projection' | 'processor';
  version: number;
  tables: string[];
  onPoison: PoisonPolicy;
  /**
   * Indexes (serving names) that only readers use, never the consumer itself: a rebuild
   * builds them once when it has caught up instead of keeping them up to date row by row.
   */
  readerIndexes?: string[];
  /**
   * Consumers whose tables this one reads while it handles events (a processor looks tenants
   * up in the tenants projection). A replay of every consumer from the start of the log
   * (`leadline restore`) starts this one only once those have caught up; the others start
   * at once.
   */
  readsStateOf?: string[];
}

/** Every consumer a worker runs: projections first, then processors. */
export const consumerSpecs: ConsumerSpec[] = [
  {
    consumer: tenantsProjection,
    kind: 'projection',
    version: 1,
    tables: ['tenants'],
    onPoison: 'stop',
  },
  {
    consumer: consentGateProjection,
    kind: 'projection',
    version: 1,
    tables: [...CONSENT_GATE_TABLES],
    onPoison: 'stop',
  },
  {
    consumer: consentLedgerProjection,
    kind: 'projection',
    version: 1,
    tables: [...CONSENT_LEDGER_TABLES],
    onPoison: 'stop',
    readerIndexes: [
      'consent_records_phone',
      'consent_records_phone_any_tenant',
      'consent_records_revoked_at',
    ],
  },
  {
    consumer: dashboardProjection,
    kind: 'projection',
    version: 1,
    tables: ['dashboard_calls', 'dashboard_leads', 'dashboard_messages'],
    onPoison: 'stop',
    // The projection reads by primary key and `dashboard_messages_sid`; these serve the API.
    readerIndexes: [
      'dashboard_leads_recent',
      'dashboard_leads_outside_area',
      'dashboard_calls_received',
      'dashboard_calls_lead',
      'dashboard_messages_at',
      'dashboard_messages_lead',
    ],
  },
  {
    consumer: leadConversationProcessor,
    kind: 'processor',
    version: 1,
    tables: [...LEAD_CONVERSATION_TABLES],
    onPoison: 'park',
    readsStateOf: [tenantsProjection.name],
  },
  {
    consumer: quotaGuardProcessor,
    kind: 'processor',
    version: 1,
    tables: [],
    onPoison: 'park',
    readsStateOf: [tenantsProjection.name],
  },
];

/** Every consumer a worker runs, in {@link consumerSpecs} order. */
export const allConsumers: Consumer[] = consumerSpecs.map((spec) => spec.consumer);

/** `projection:dashboard` → `dashboard`: the name operators type. */
export const shortName = (spec: ConsumerSpec): string => spec.consumer.name.replace(/^[a-z]+:/, '');

/**
 * The spec of the consumer called `name`, by full (`projection:dashboard`) or short
 * (`dashboard`) name.
 * @throws NotFoundError naming the known consumers when there is none.
 */
export function consumerSpec(name: string): ConsumerSpec {
  const spec = consumerSpecs.find((s) => s.consumer.name === name || shortName(s) === name);
  if (!spec) {
    throw new NotFoundError(
      `no projection or processor "${name}"; known: ${consumerSpecs.map(shortName).join(', ')}`,
      'CONSUMER_NOT_FOUND',
    );
  }
  return spec;
}
