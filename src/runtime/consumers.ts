import type { Consumer } from '../log/event-log.ts';
import { leadConversationProcessor } from '../processors/lead-conversation/processor.ts';
import { quotaGuardProcessor } from '../processors/quota-guard/processor.ts';
import { consentGateProjection } from '../projections/consent-gate/consent-gate.ts';
import { consentLedgerProjection } from '../projections/consent-ledger/consent-ledger.ts';
import { dashboardProjection } from '../projections/dashboard/dashboard-projection.ts';
import { tenantsProjection } from '../projections/tenants/tenants-projection.ts';

/** Every consumer a worker runs: projections first, then processors. */
export const allConsumers: Consumer[] = [
  tenantsProjection,
  consentGateProjection,
  consentLedgerProjection,
  dashboardProjection,
  leadConversationProcessor,
  quotaGuardProcessor,
];
