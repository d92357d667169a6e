import type pg from 'pg';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import {
  parseLeadStreamId,
  parseStaffStreamId,
  parseWithheldCallStreamId,
} from '../../events/streams.ts';
import { decideOffLead } from './decide-off-lead.ts';
import type { Consumer, ConsumerContext } from '../../log/event-log.ts';
import { intentsWrite } from '../../outbound/outbox.ts';
import { callsWrite } from '../../outbound/call-queue.ts';
import { qualificationsWrite } from '../../qualification/request-queue.ts';
import { timersWrite } from '../timers/timers.ts';
import { runWrites, type Write } from '../../db/combined-writes.ts';
import { tenantDocsSql, tenantFromDoc } from '../../projections/tenants/tenant-directory.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { decide, type LeadDecision } from './decide.ts';
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
  'QualificationAssessed',
  'LeadQualified',
  'QualificationFailed',
  'ReviewRequested',
  'ConsentGranted',
  'ConsentRevoked',
  'OutboundSmsStatusUpdated',
  'OutboundSmsFailed',
  'OutboundSmsWithheld',
  'TimerElapsed',
  'StaffReplied',
  'AutomationResumed',
  'CallBackRequested',
  'VoicemailRecorded',
  'VoicemailTranscribed',
  'WithheldCallReceived',
  'StaffTextUnrouted',
]);

/**
 * The lead-conversation processor: for the events of leads' streams, runs the pure
 * {@link decide} and {@link evolve} on each lead's state, stores the new states, enqueues the
 * texts and sets the timers, all in the consumer's transaction (so with its checkpoint). The
 * sender asks the consent answer at send time, which includes this processor's
 * `lead_states.opted_out` (`consent/consent-for.ts`), so a text queued before an opt-out is withheld (and recorded as such)
 * rather than sent. One event is a batch of one: `handle` and `handleBatch` are one path
 * ({@link handleLeadEvents}).
 */
export const leadConversationProcessor: Consumer = {
  name: 'processor:lead-conversation',
  handle: (event, ctx) => handleLeadEvents([event], ctx),
  handleBatch: handleLeadEvents,
};

/** One lead (tenant + E.164 phone) met in a batch, and its state as the fold goes. */
interface Lead {
  tenantId: string;
  phone: string;
  state: LeadState;
}

/**
 * Handles `events` (consecutive, in log order) as handling each in turn would, with a fixed
 * number of queries whatever their number: one read of their tenants and their leads'
 * states together, and one statement (`runWrites`) that writes those states with the texts,
 * call-backs, qualification requests and timers the events decided (`intentsWrite`,
 * `callsWrite`, `qualificationsWrite`, `timersWrite`; the texts include those of withheld
 * callers' and staff streams, `decideOffLead`), each text with its own cause (event id,
 * correlation id, traceparent, `occurredAt`), as one call per event in log order would leave
 * them: two queries a batch. In replay mode the outbox refuses and no timer is set, as for
 * one event, and that statement writes only the states. What those calls log (the outbox's
 * refusal in replay, at debug) goes to `ctx.log`: for a batch, the consumer's logger rather
 * than one bound to the event.
 *
 * Between two events of one lead the state is taken as `lead_states` would give it back
 * ({@link asStored}): the fold decides on exactly what one event at a time would have read.
 *
 * @throws Error when a lead's tenant is not in the tenants projection (yet): the first such
 *   event is named, as one at a time would have.
 */
async function handleLeadEvents(
  events: readonly RecordedLeadlineEvent[],
  ctx: ConsumerContext,
): Promise<void> {
  const leads = new Map<string, Lead>();
  const mine: Array<{ event: RecordedLeadlineEvent; lead: Lead }> = [];
  // Withheld callers' calls and unrouted staff texts: stateless (`decide-off-lead.ts`).
  const offLead: Array<{ event: RecordedLeadlineEvent; tenantId: string; phone: string }> = [];
  for (const event of events) {
    if (!RELEVANT.has(event.type)) continue;
    const parsed = parseLeadStreamId(event.streamId);
    if (!parsed) {
      const staff = parseStaffStreamId(event.streamId);
      const call = staff ? undefined : parseWithheldCallStreamId(event.streamId);
      if (staff) offLead.push({ event, ...staff });
      else if (call) offLead.push({ event, tenantId: call.tenantId, phone: '' });
      continue;
    }
    // A tenant id holds no ':' (see parseLeadStreamId), so the key names one lead.
    const key = `${parsed.tenantId}:${parsed.phone}`;
    let lead = leads.get(key);
    if (!lead) leads.set(key, (lead = { ...parsed, state: asStored(initialLeadState()) }));
    mine.push({ event, lead });
  }
  if (mine.length === 0 && offLead.length === 0) return;

  const tenants = await loadTenantsAndStates(ctx.db, leads, [
    ...new Set([...mine.map(({ lead }) => lead.tenantId), ...offLead.map((o) => o.tenantId)]),
  ]);
  for (const { event, tenantId } of [...mine.map((m) => ({ ...m, ...m.lead })), ...offLead]) {
    if (!tenants.has(tenantId)) {
      throw new Error(
        `tenant ${tenantId} of ${event.type} ${event.id} is not in the tenants projection yet`,
      );
    }
  }

  const decided: Array<{ event: RecordedLeadlineEvent; lead: Lead; decision: LeadDecision }> = [];
  for (const { event, lead } of mine) {
    const decision = decide(lead.state, event, tenants.get(lead.tenantId)!);
    const next = remember(evolve(lead.state, event), decision, event.occurredAt);
    lead.state = asStored(next, lead.state);
    if (
      decision.intents.length > 0 ||
      decision.timers.length > 0 ||
      decision.calls ||
      decision.qualify
    ) {
      decided.push({ event, lead, decision });
    }
  }
  const causeOf = (event: RecordedLeadlineEvent, tenantId: string, phone: string) => ({
    tenantId,
    streamId: event.streamId,
    leadPhone: phone,
    eventId: event.id,
    correlationId: event.correlationId,
    traceparent: event.traceparent,
    occurredAt: event.occurredAt,
  });
  // One statement: the states, and what the events decided (absent in replay mode).
  await runWrites(ctx.db, [
    leads.size > 0 ? statesWrite([...leads.values()]) : undefined,
    intentsWrite(ctx, [
      ...decided.map(({ event, lead, decision }) => ({
        cause: causeOf(event, lead.tenantId, lead.phone),
        intents: decision.intents,
      })),
      ...offLead.map(({ event, tenantId, phone }) => ({
        cause: causeOf(event, tenantId, phone),
        intents: decideOffLead(event, tenants.get(tenantId)!),
      })),
    ]),
    callsWrite(
      ctx,
      decided.map(({ event, lead, decision }) => ({
        cause: causeOf(event, lead.tenantId, lead.phone),
        calls: decision.calls ?? [],
      })),
    ),
    qualificationsWrite(
      ctx,
      decided.flatMap(({ event, lead, decision }) =>
        decision.qualify
          ? [
              {
                cause: {
                  tenantId: lead.tenantId,
                  streamId: event.streamId,
                  eventId: event.id,
                  traceparent: event.traceparent,
                },
                request: decision.qualify,
              },
            ]
          : [],
      ),
    ),
    timersWrite(
      ctx,
      decided.map(({ event, lead, decision }) => ({
        owner: { tenantId: lead.tenantId, streamId: event.streamId },
        timers: decision.timers,
      })),
    ),
  ]);
}

/**
 * Reads, in one statement (one round trip), the tenants with ids `tenantIds` from the tenants
 * projection and the stored state of every lead in `leads` into it (keyed by tenant and
 * phone; a lead without a row keeps the initial state). Under load each round trip waits
 * behind busy cores, and a missed call's text waits for this processor's batch.
 * @returns the tenants found, by id (an id without a tenant is absent).
 */
async function loadTenantsAndStates(
  db: pg.ClientBase,
  leads: Map<string, Lead>,
  tenantIds: readonly string[],
): Promise<Map<string, Tenant>> {
  const leadTenants: string[] = [];
  const phones: string[] = [];
  for (const lead of leads.values()) {
    leadTenants.push(lead.tenantId);
    phones.push(lead.phone);
  }
  // A tenant's row has no phone; a lead state's `doc` is the state itself.
  const { rows } = await db.query<{ tenant_id: string | null; phone: string | null; doc: unknown }>(
    `SELECT NULL::text AS tenant_id, NULL::text AS phone, doc FROM (${tenantDocsSql('$1')}) AS t
     UNION ALL
     SELECT tenant_id, phone, state FROM lead_states
      WHERE (tenant_id, phone) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
    [tenantIds, leadTenants, phones],
  );
  const tenants = new Map<string, Tenant>();
  for (const row of rows) {
    if (row.phone === null) {
      const tenant = tenantFromDoc(row.doc);
      tenants.set(tenant.tenantId, tenant);
    } else {
      leads.get(`${row.tenant_id}:${row.phone}`)!.state = row.doc as LeadState;
    }
  }
  return tenants;
}

/**
 * The write of each lead's state (one multi-row upsert; each lead once), `updated_at` the
 * transaction's time as for one event. Every lead an event was handled for is written, changed
 * or not, as one event at a time writes its lead's row.
 */
function statesWrite(leads: readonly Lead[]): Write {
  return {
    insert: `INSERT INTO lead_states (tenant_id, phone, state, opted_out)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::boolean[])
     ON CONFLICT (tenant_id, phone) DO UPDATE SET state = EXCLUDED.state,
       opted_out = EXCLUDED.opted_out, updated_at = now()`,
    values: [
      leads.map((l) => l.tenantId),
      leads.map((l) => l.phone),
      leads.map((l) => JSON.stringify(l.state)),
      leads.map((l) => l.state.optedOut),
    ],
  };
}

/**
 * `value` as a `jsonb` column gives it back (`JSON.parse` of PostgreSQL's text): properties
 * whose value is undefined dropped (`null` in arrays), and each object's keys in `jsonb`
 * order, shorter first, then by their UTF-8 bytes (PostgreSQL's `jsonb` storage; JavaScript
 * then puts integer-like keys first, as `JSON.parse` does). Key order is not cosmetic: the
 * state keeps `MAX_CALLS` calls by dropping the first of `calls`' keys (`./state.ts`).
 *
 * `before` is the state `value` was made from, already in that shape: what `value` shares
 * with it (the same object under the same key or index: `evolve` and `remember` copy only
 * what they change) is kept as it is, as is any part already in that shape. Pure.
 */
function asStored<T>(value: T, before?: unknown): T {
  if (value === before || typeof value !== 'object' || value === null) return value;
  const was = (typeof before === 'object' && before !== null ? before : {}) as Record<
    string,
    unknown
  >;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown, i) =>
      item === undefined ? null : asStored(item, was[i]),
    );
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  const order = NON_ASCII.test(keys.join('')) ? jsonbKeyOrder : asciiKeyOrder;
  const entries: Array<[string, unknown]> = [];
  let same = true;
  for (const [i, key] of keys.entries()) {
    const item = source[key];
    if (item === undefined) {
      same = false;
      continue;
    }
    const shaped = asStored(item, was[key]);
    if (shaped !== item || (i > 0 && order(keys[i - 1]!, key) >= 0)) same = false;
    entries.push([key, shaped]);
  }
  // fromEntries defines own properties, as JSON.parse does (a key `__proto__` included).
  return (same ? value : Object.fromEntries(entries.sort(([a], [b]) => order(a, b)))) as T;
}

/** A character outside ASCII: it may take more than one byte in UTF-8. */
const NON_ASCII = /[\u0080-\uffff]/;

/** {@link jsonbKeyOrder} for ASCII keys: a character is a byte. */
const asciiKeyOrder = (a: string, b: string): number =>
  a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** A code unit at or above the first surrogate: UTF-16 order may differ from UTF-8 order. */
const HIGH_CODE_UNIT = /[\ud800-\uffff]/;

/** PostgreSQL's order of `jsonb` object keys: by length in UTF-8 bytes, then bytewise. */
function jsonbKeyOrder(a: string, b: string): number {
  const byLength = Buffer.byteLength(a) - Buffer.byteLength(b);
  if (byLength !== 0) return byLength;
  if (HIGH_CODE_UNIT.test(a) || HIGH_CODE_UNIT.test(b)) {
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  // Below U+D800, UTF-16 code units sort as UTF-8 bytes do.
  return a < b ? -1 : a > b ? 1 : 0;
}
