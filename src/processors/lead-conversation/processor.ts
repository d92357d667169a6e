import type pg from 'pg';
import { parseLeadStreamId } from '../../events/streams.ts';
import type { Consumer } from '../../log/event-log.ts';
import { enqueueIntents } from '../../outbound/outbox.ts';
import { setTimers } from '../timers/timers.ts';
import { tenantDirectory } from '../../projections/tenants/tenant-directory.ts';
import { decide } from './decide.ts';
import { evolve, initialLeadState, remember, type LeadState } from './state.ts';

/** The tables the lead-conversation processor owns (its state per lead), for rebuilds. */
export const LEAD_CONVERSATION_TABLES: readonly string[] = ['lead_states'];

/** Event types this processor acts on or remembers. */
const RELEVANT = new Set([
  'CallReceived',
  'DialAnswered',
  'DialMissed',
  'EmergencyEscalated',
  'EmergencyDeclined',
  'SmsInbound',
  'ReviewRequested',
  'ConsentGranted',
  'ConsentRevoked',
  'OutboundSmsStatusUpdated',
  'OutboundSmsFailed',
  'TimerElapsed',
]);

/**
 * The lead-conversation processor: for each event of a lead's stream, loads the lead's state,
 * runs the pure {@link decide} and {@link evolve}, stores the new state, enqueues the texts
 * and sets the timers, all in the consumer's transaction (so with its checkpoint). The sender asks
 * the consent answer at send time, which includes `leadOptedOut` (`./opted-out.ts`), so a
 * text queued before an opt-out is withheld (and recorded as such) rather than sent.
 */
export const leadConversationProcessor: Consumer = {
  name: 'processor:lead-conversation',
  async handle(event, ctx) {
    if (!RELEVANT.has(event.type)) return;
    const lead = parseLeadStreamId(event.streamId);
    if (!lead) return;
    const tenant = await tenantDirectory.get(ctx.db, lead.tenantId);
    if (!tenant)
      throw new Error(
        `tenant ${lead.tenantId} of ${event.type} ${event.id} is not in the tenants projection yet`,
      );
    const state = await loadState(ctx.db, lead.tenantId, lead.phone);
    const decision = decide(state, event, tenant);
    await saveState(
      ctx.db,
      lead.tenantId,
      lead.phone,
      remember(evolve(state, event), decision, event.occurredAt),
    );
    await enqueueIntents(
      ctx,
      {
        tenantId: lead.tenantId,
        streamId: event.streamId,
        leadPhone: lead.phone,
        eventId: event.id,
        correlationId: event.correlationId,
        traceparent: event.traceparent,
        occurredAt: event.occurredAt,
      },
      decision.intents,
    );
    await setTimers(ctx, { tenantId: lead.tenantId, streamId: event.streamId }, decision.timers);
  },
};

async function loadState(db: pg.ClientBase, tenantId: string, phone: string): Promise<LeadState> {
  const { rows } = await db.query<{ state: LeadState }>(
    'SELECT state FROM lead_states WHERE tenant_id = $1 AND phone = $2',
    [tenantId, phone],
  );
  return rows[0]?.state ?? initialLeadState();
}

async function saveState(
  db: pg.ClientBase,
  tenantId: string,
  phone: string,
  state: LeadState,
): Promise<void> {
  await db.query(
    `INSERT INTO lead_states (tenant_id, phone, state, opted_out) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, phone) DO UPDATE SET state = EXCLUDED.state,
       opted_out = EXCLUDED.opted_out, updated_at = now()`,
    [tenantId, phone, JSON.stringify(state), state.optedOut],
  );
}
