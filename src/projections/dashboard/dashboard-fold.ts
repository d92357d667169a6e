import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { parseLeadStreamId } from '../../events/streams.ts';
import { leadRef } from '../../rules/lead-ref.ts';
import { nextMessageStatus } from '../../rules/message-status.ts';
import { CONVERSATION_QUIET_MS, type QualificationFields } from '../../qualification/model.ts';

/** A `dashboard_calls` row. Times are UTC ISO-8601. */
export interface CallRow {
  tenantId: string;
  callSid: string;
  /** The caller (E.164). */
  phone: string;
  receivedAt: string;
  mode: string;
  /** `ringing` | `answered` | `missed` | `after-hours` | `emergency-menu`. */
  outcome: string;
  dialCallStatus: string | null;
  /** The first missed-call text answering it (response time). */
  firstTextAt: string | null;
}

/** A `dashboard_leads` row. Times are UTC ISO-8601. */
export interface LeadRow {
  tenantId: string;
  phone: string;
  /**
   * The lead's short reference (`rules/lead-ref.ts`), which owner alerts carry and staff
   * texts name it by: computed when the row is made, and written with it every time (the
   * same value; a row an older version left without one gets it so).
   */
  ref: number;
  firstSeenAt: string;
  lastContactAt: string;
  calls: number;
  missedCalls: number;
  messagesIn: number;
  messagesOut: number;
  optedOut: boolean;
  status: string;
  statusChangedAt: string | null;
  /** Urgency of the latest new text. */
  intent: string | null;
  emergencies: number;
  /** What the latest qualification assessment found (issue 16); null: never assessed. */
  qualification: LeadQualificationView | null;
  /** The qualified lead's postal code is outside the tenant's service area. */
  outsideArea: boolean;
}

/**
 * A lead's qualification as the dashboard shows it: the fields known, how sure, what is
 * missing, whether `LeadQualified` settled it (and when, UTC ISO), and which engine read it.
 */
export type LeadQualificationView = QualificationFields & {
  confidence: number;
  missing: string[];
  qualified: boolean;
  qualifiedAt: string | null;
  outsideArea: boolean;
  engine: string;
  assessedAt: string;
  /** The lead's text the reading was made after (`MessageSid`). */
  requestId: string;
};

/** A `dashboard_messages` row: `messageKey` is the MessageSid inbound, the outbox id outbound. */
export interface MessageRow {
  tenantId: string;
  messageKey: string;
  direction: 'inbound' | 'outbound';
  audience: string | null;
  purpose: string | null;
  /** The lead's number (E.164). */
  phone: string;
  /** The number the text went to or came from ('' on a placeholder). */
  counterpart: string;
  body: string;
  status: string;
  messageSid: string | null;
  error: string | null;
  at: string;
  eventPosition: string | null;
  urgency: string | null;
}

/** The rows a batch needs, by key, as a dashboard fold reads and changes them. */
export interface DashboardRows {
  calls: Map<string, CallRow>;
  leads: Map<string, LeadRow>;
  messages: Map<string, MessageRow>;
  /** Message keys by `tenant + MessageSid`, for status callbacks that name only the Sid. */
  messageKeysBySid: Map<string, string>;
  /** Keys (as in the maps above) of the rows changed since loading. */
  changed: { calls: Set<string>; leads: Set<string>; messages: Set<string> };
}

/** The key of a row of one tenant: `tenantId` and the row's own id, joined by NUL. */
export const rowKey = (tenantId: string, id: string): string => `${tenantId}\u0000${id}`;

/** What a batch of events reads from the tables before folding, as (tenant, id) pairs. */
export interface NeededRows {
  calls: Array<[string, string]>;
  leads: Array<[string, string]>;
  messageKeys: Array<[string, string]>;
  messageSids: Array<[string, string]>;
}

/** Empty rows, ready to be filled by loading and changed by {@link foldDashboard}. */
export function emptyRows(): DashboardRows {
  return {
    calls: new Map(),
    leads: new Map(),
    messages: new Map(),
    messageKeysBySid: new Map(),
    changed: { calls: new Set(), leads: new Set(), messages: new Set() },
  };
}

/** Adds a loaded message row (and its Sid) to `rows`. */
export function holdMessage(rows: DashboardRows, row: MessageRow): void {
  rows.messages.set(rowKey(row.tenantId, row.messageKey), row);
  if (row.messageSid) {
    rows.messageKeysBySid.set(rowKey(row.tenantId, row.messageSid), row.messageKey);
  }
}

const callSidOf = (event: RecordedLeadlineEvent): string | undefined => {
  switch (event.type) {
    case 'CallReceived':
    case 'DialAnswered':
    case 'DialMissed':
    case 'EmergencyEscalated':
    case 'EmergencyDeclined':
      return event.data.callSid;
    case 'TimerElapsed':
      return event.data.kind === 'emergency-menu-timeout' ? event.data.key : undefined;
    case 'OutboundSmsSent':
      return event.data.purpose === 'missed-call-text'
        ? event.data.dedupeKey.split(':')[0]
        : undefined;
    default:
      return undefined;
  }
};

/** The rows `events` may read or change (pure), so they can be loaded in a few queries. */
export function neededRows(events: readonly RecordedLeadlineEvent[]): NeededRows {
  const needed: NeededRows = { calls: [], leads: [], messageKeys: [], messageSids: [] };
  for (const event of events) {
    const lead = parseLeadStreamId(event.streamId);
    if (!lead) continue;
    needed.leads.push([lead.tenantId, lead.phone]);
    const callSid = callSidOf(event);
    if (callSid !== undefined) needed.calls.push([lead.tenantId, callSid]);
    switch (event.type) {
      case 'SmsInbound':
        needed.messageKeys.push([lead.tenantId, event.data.messageSid]);
        break;
      case 'OutboundSmsSent':
      case 'OutboundSmsWithheld':
      case 'OutboundSmsFailed':
        needed.messageKeys.push([lead.tenantId, event.data.outboxId]);
        break;
      case 'VoicemailRecorded':
      case 'VoicemailTranscribed':
        needed.messageKeys.push([lead.tenantId, event.data.recordingSid]);
        break;
      case 'OutboundSmsStatusUpdated':
        if (event.data.outboxId) needed.messageKeys.push([lead.tenantId, event.data.outboxId]);
        needed.messageSids.push([lead.tenantId, event.data.messageSid]);
        break;
      default:
        break;
    }
  }
  return needed;
}

const iso = (at: string): string => new Date(at).toISOString();
const later = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);
const earlier = (a: string, b: string): string => (Date.parse(a) <= Date.parse(b) ? a : b);

type Counts = Partial<Record<'calls' | 'missedCalls' | 'messagesIn' | 'messagesOut', number>>;

/**
 * Folds `events` (log order) into `rows` (pure but for mutating `rows`): the dashboard's rules,
 * applied in memory. Every write is keyed by the fact's own id (CallSid, MessageSid, outbox
 * id) and counters move only when a row is first inserted, so a replay into empty tables
 * builds the same model and a redelivered event changes nothing. `rows` must hold every row
 * {@link neededRows} names that exists.
 */
export function foldDashboard(rows: DashboardRows, events: readonly RecordedLeadlineEvent[]): void {
  for (const event of events) {
    const lead = parseLeadStreamId(event.streamId);
    if (lead) apply(rows, lead.tenantId, lead.phone, event);
  }
}

/** The lead's row, marked changed, without counting a contact (created if missing). */
function leadRow(rows: DashboardRows, tenantId: string, phone: string, at: string): LeadRow {
  const existing = rows.leads.get(rowKey(tenantId, phone));
  if (!existing) return touchLead(rows, tenantId, phone, at);
  rows.changed.leads.add(rowKey(tenantId, phone));
  return existing;
}

function touchLead(
  rows: DashboardRows,
  tenantId: string,
  phone: string,
  at: string,
  counts: Counts = {},
): LeadRow {
  const key = rowKey(tenantId, phone);
  rows.changed.leads.add(key);
  let row = rows.leads.get(key);
  if (!row) {
    row = {
      tenantId,
      phone,
      ref: Number(leadRef(tenantId, phone)),
      firstSeenAt: iso(at),
      lastContactAt: iso(at),
      calls: 0,
      missedCalls: 0,
      messagesIn: 0,
      messagesOut: 0,
      optedOut: false,
      status: 'new',
      statusChangedAt: null,
      intent: null,
      emergencies: 0,
      qualification: null,
      outsideArea: false,
    };
    rows.leads.set(key, row);
  } else {
    row.lastContactAt = later(row.lastContactAt, iso(at));
  }
  row.calls += counts.calls ?? 0;
  row.missedCalls += counts.missedCalls ?? 0;
  row.messagesIn += counts.messagesIn ?? 0;
  row.messagesOut += counts.messagesOut ?? 0;
  return row;
}

/** The call row for `callSid`, marked changed, when it exists. */
function changeCall(rows: DashboardRows, tenantId: string, callSid: string): CallRow | undefined {
  const key = rowKey(tenantId, callSid);
  const row = rows.calls.get(key);
  if (row) rows.changed.calls.add(key);
  return row;
}

function putMessage(rows: DashboardRows, row: MessageRow): void {
  holdMessage(rows, row);
  rows.changed.messages.add(rowKey(row.tenantId, row.messageKey));
}

function apply(
  rows: DashboardRows,
  tenantId: string,
  phone: string,
  event: RecordedLeadlineEvent,
): void {
  switch (event.type) {
    case 'CallReceived': {
      const key = rowKey(tenantId, event.data.callSid);
      if (rows.calls.has(key)) return;
      const afterHours = event.data.action === 'after-hours-notice';
      rows.calls.set(key, {
        tenantId,
        callSid: event.data.callSid,
        phone,
        receivedAt: iso(event.occurredAt),
        mode: event.data.mode,
        outcome:
          event.data.action === 'emergency-menu'
            ? 'emergency-menu'
            : afterHours
              ? 'after-hours'
              : 'ringing',
        dialCallStatus: null,
        firstTextAt: null,
      });
      rows.changed.calls.add(key);
      touchLead(rows, tenantId, phone, event.occurredAt, {
        calls: 1,
        missedCalls: afterHours ? 1 : 0,
      });
      return;
    }
    case 'DialAnswered': {
      const call = changeCall(rows, tenantId, event.data.callSid);
      if (!call) return;
      call.outcome = 'answered';
      call.dialCallStatus = event.data.dialCallStatus;
      return;
    }
    case 'DialMissed': {
      const call = rows.calls.get(rowKey(tenantId, event.data.callSid));
      if (call?.outcome !== 'ringing') return;
      changeCall(rows, tenantId, event.data.callSid);
      call.outcome = 'missed';
      call.dialCallStatus = event.data.dialCallStatus;
      touchLead(rows, tenantId, phone, event.occurredAt, { missedCalls: 1 });
      return;
    }
    case 'EmergencyEscalated': {
      // The on-call phone is being rung: its Dial result settles the outcome.
      const call = rows.calls.get(rowKey(tenantId, event.data.callSid));
      if (call?.outcome !== 'emergency-menu') return;
      changeCall(rows, tenantId, event.data.callSid);
      call.outcome = 'ringing';
      return;
    }
    case 'EmergencyDeclined':
    case 'TimerElapsed': {
      if (event.type === 'TimerElapsed' && event.data.kind !== 'emergency-menu-timeout') return;
      const callSid = event.type === 'EmergencyDeclined' ? event.data.callSid : event.data.key;
      const call = rows.calls.get(rowKey(tenantId, callSid));
      if (call?.outcome !== 'emergency-menu') return;
      changeCall(rows, tenantId, callSid);
      call.outcome = 'after-hours';
      touchLead(rows, tenantId, phone, event.occurredAt, { missedCalls: 1 });
      return;
    }
    case 'QualificationAssessed': {
      // A reading of the conversation; not a contact. An older reading never replaces a newer.
      const row = leadRow(rows, tenantId, phone, event.occurredAt);
      const was = row.qualification;
      if (was && Date.parse(was.assessedAt) > Date.parse(event.occurredAt)) return;
      // A late reading of an earlier text never unsettles a qualified lead; a reading in a
      // new conversation (after the quiet time) starts over.
      if (
        was?.qualified &&
        was.qualifiedAt &&
        was.requestId !== event.data.requestId &&
        Date.parse(event.occurredAt) - Date.parse(was.qualifiedAt) < CONVERSATION_QUIET_MS
      ) {
        return;
      }
      const { fields, confidence, missing, engine, requestId } = event.data;
      const sameConversation = was?.qualified && was.requestId === requestId;
      row.qualification = {
        ...fields,
        confidence,
        missing,
        qualified: sameConversation ? true : false,
        qualifiedAt: sameConversation ? was.qualifiedAt : null,
        outsideArea: sameConversation ? was.outsideArea : false,
        engine,
        assessedAt: iso(event.occurredAt),
        requestId,
      };
      row.outsideArea = row.qualification.outsideArea;
      return;
    }
    case 'LeadQualified': {
      const row = leadRow(rows, tenantId, phone, event.occurredAt);
      const { requestId, confidence, missing, outsideArea, ...fields } = event.data;
      row.qualification = {
        ...fields,
        confidence,
        missing,
        qualified: true,
        qualifiedAt: iso(event.occurredAt),
        outsideArea,
        engine: row.qualification?.engine ?? 'deterministic',
        assessedAt: row.qualification?.assessedAt ?? iso(event.occurredAt),
        requestId,
      };
      row.outsideArea = outsideArea;
      return;
    }
    case 'LeadStatusChanged': {
      const row = touchLead(rows, tenantId, phone, event.occurredAt);
      if (
        row.statusChangedAt === null ||
        Date.parse(row.statusChangedAt) <= Date.parse(event.occurredAt)
      ) {
        row.status = event.data.status;
        row.statusChangedAt = iso(event.occurredAt);
      }
      return;
    }
    case 'SmsInbound': {
      const d = event.data;
      const key = rowKey(tenantId, d.messageSid);
      const isNew = !rows.messages.has(key);
      const human = !d.autoReply && d.keyword === null;
      if (human) {
        const row = touchLead(rows, tenantId, phone, event.occurredAt);
        if (isNew) {
          row.intent = d.urgency;
          if (d.urgency === 'EMERGENCY') row.emergencies++;
        }
      }
      if (!isNew) return;
      putMessage(rows, {
        tenantId,
        messageKey: d.messageSid,
        direction: 'inbound',
        audience: null,
        purpose: null,
        phone,
        counterpart: phone,
        body: d.body,
        status: 'received',
        messageSid: d.messageSid,
        error: null,
        at: iso(event.occurredAt),
        eventPosition: event.position,
        urgency: human ? d.urgency : null,
      });
      touchLead(rows, tenantId, phone, event.occurredAt, { messagesIn: 1 });
      return;
    }
    case 'VoicemailRecorded':
    case 'VoicemailTranscribed': {
      // A voicemail shows in the conversation as the lead's message: its transcript once
      // Twilio has one, the recording through the read API. Twilio sends the recording and
      // the transcription callbacks independently: either may come first.
      const d = event.data;
      const key = rowKey(tenantId, d.recordingSid);
      const row = rows.messages.get(key);
      const transcript =
        event.type === 'VoicemailTranscribed'
          ? {
              body: event.data.text ?? '',
              status: event.data.status === 'completed' ? 'transcribed' : 'no transcript',
            }
          : undefined;
      if (row) {
        if (!transcript || row.status !== 'recorded') return;
        row.body = transcript.body;
        row.status = transcript.status;
        rows.changed.messages.add(key);
        return;
      }
      putMessage(rows, {
        tenantId,
        messageKey: d.recordingSid,
        direction: 'inbound',
        audience: null,
        purpose: 'voicemail',
        phone,
        counterpart: phone,
        body: transcript?.body ?? '',
        status: transcript?.status ?? 'recorded',
        messageSid: d.recordingSid,
        error: null,
        at: iso(event.occurredAt),
        eventPosition: event.position,
        urgency: null,
      });
      touchLead(rows, tenantId, phone, event.occurredAt);
      return;
    }
    case 'ConsentRevoked':
    case 'ConsentGranted': {
      const optedOut = event.type === 'ConsentRevoked';
      if (event.type === 'ConsentGranted' && event.data.basis !== 'express') return;
      touchLead(rows, tenantId, phone, event.occurredAt).optedOut = optedOut;
      return;
    }
    case 'OutboundSmsSent':
    case 'OutboundSmsWithheld':
    case 'OutboundSmsFailed': {
      const d = event.data;
      const status =
        event.type === 'OutboundSmsSent'
          ? event.data.status
          : event.type === 'OutboundSmsWithheld'
            ? `withheld:${event.data.reason}`
            : 'failed';
      const messageSid = event.type === 'OutboundSmsSent' ? event.data.messageSid : null;
      const error =
        event.type === 'OutboundSmsFailed'
          ? `${event.data.errorCode ?? ''} ${event.data.errorMessage}`.trim()
          : null;
      // A status callback may have been projected first (it can overtake the Sent event).
      const before = rows.messages.get(rowKey(tenantId, d.outboxId));
      putMessage(rows, {
        tenantId,
        messageKey: d.outboxId,
        direction: before?.direction ?? 'outbound',
        audience: d.audience,
        purpose: d.purpose,
        phone: before?.phone ?? phone,
        counterpart: d.to,
        body: d.body,
        status: before ? nextMessageStatus(status, before.status) : status,
        messageSid: messageSid ?? before?.messageSid ?? null,
        error: error ?? before?.error ?? null,
        at: iso(event.occurredAt),
        eventPosition: event.position,
        urgency: before?.urgency ?? null,
      });
      const first = !before || before.body === '';
      if (event.type === 'OutboundSmsSent' && d.purpose === 'missed-call-text') {
        // Response time: the first text answering the missed call (dedupe key `<CallSid>:…`).
        const call = changeCall(rows, tenantId, d.dedupeKey.split(':')[0]!);
        if (call) {
          const at = iso(event.occurredAt);
          call.firstTextAt = call.firstTextAt === null ? at : earlier(call.firstTextAt, at);
        }
      }
      if (d.audience === 'lead' && event.type === 'OutboundSmsSent' && first) {
        touchLead(rows, tenantId, phone, event.occurredAt, { messagesOut: 1 });
      }
      return;
    }
    case 'OutboundSmsStatusUpdated': {
      const { messageSid, status, errorCode, outboxId } = event.data;
      const messageKey = outboxId
        ? rows.messages.has(rowKey(tenantId, outboxId))
          ? outboxId
          : rows.messageKeysBySid.get(rowKey(tenantId, messageSid))
        : rows.messageKeysBySid.get(rowKey(tenantId, messageSid));
      const row =
        messageKey === undefined ? undefined : rows.messages.get(rowKey(tenantId, messageKey));
      if (!row) {
        if (!outboxId) return;
        // Overtook its Sent event: a placeholder the Sent event fills in.
        putMessage(rows, {
          tenantId,
          messageKey: outboxId,
          direction: 'outbound',
          audience: null,
          purpose: null,
          phone,
          counterpart: '',
          body: '',
          status,
          messageSid,
          error: errorCode,
          at: iso(event.occurredAt),
          eventPosition: event.position,
          urgency: null,
        });
        return;
      }
      putMessage(rows, {
        ...row,
        status: nextMessageStatus(row.status, status),
        messageSid: row.messageSid ?? messageSid,
        error: errorCode ?? row.error,
      });
      return;
    }
    default:
      return;
  }
}
