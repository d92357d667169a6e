import type pg from 'pg';
import { parseLeadStreamId } from '../../events/streams.ts';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Consumer } from '../../log/event-log.ts';
import { nextMessageStatus } from '../../rules/message-status.ts';

/** The channel the dashboard projection NOTIFYs with a tenant id when its model changed. */
export const DASHBOARD_CHANNEL = 'leadline_dashboard';

/**
 * Builds the dashboard read model (`dashboard_calls`, `dashboard_leads`,
 * `dashboard_messages`) from lead streams. Every write is keyed by the fact's own id
 * (CallSid, MessageSid, outbox id), and counters move only when a row is first inserted, so
 * a replay into empty tables rebuilds the same model.
 */
export const dashboardProjection: Consumer = {
  name: 'projection:dashboard',
  async handle(event, { db, replay }) {
    const lead = parseLeadStreamId(event.streamId);
    if (!lead) return;
    await apply(db, lead.tenantId, lead.phone, event);
    // Delivered on commit: the dashboard's live stream (`/api/v1/stream`) tells the page.
    // Not while replaying: a rebuild writes tables nobody reads yet.
    if (!replay) await db.query('SELECT pg_notify($1, $2)', [DASHBOARD_CHANNEL, lead.tenantId]);
  },
};

async function touchLead(
  db: pg.ClientBase,
  tenantId: string,
  phone: string,
  at: string,
  counts: Partial<Record<'calls' | 'missed_calls' | 'messages_in' | 'messages_out', number>>,
) {
  await db.query(
    `INSERT INTO dashboard_leads (tenant_id, phone, first_seen_at, last_contact_at, calls, missed_calls, messages_in, messages_out)
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, phone) DO UPDATE SET
       last_contact_at = GREATEST(dashboard_leads.last_contact_at, EXCLUDED.last_contact_at),
       calls = dashboard_leads.calls + EXCLUDED.calls,
       missed_calls = dashboard_leads.missed_calls + EXCLUDED.missed_calls,
       messages_in = dashboard_leads.messages_in + EXCLUDED.messages_in,
       messages_out = dashboard_leads.messages_out + EXCLUDED.messages_out`,
    [
      tenantId,
      phone,
      at,
      counts.calls ?? 0,
      counts.missed_calls ?? 0,
      counts.messages_in ?? 0,
      counts.messages_out ?? 0,
    ],
  );
}

async function apply(
  db: pg.ClientBase,
  tenantId: string,
  phone: string,
  event: RecordedLeadlineEvent,
): Promise<void> {
  switch (event.type) {
    case 'CallReceived': {
      const afterHours = event.data.action === 'after-hours-notice';
      const outcome =
        event.data.action === 'emergency-menu'
          ? 'emergency-menu'
          : afterHours
            ? 'after-hours'
            : 'ringing';
      const r = await db.query(
        `INSERT INTO dashboard_calls (tenant_id, call_sid, phone, received_at, mode, outcome)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [tenantId, event.data.callSid, phone, event.occurredAt, event.data.mode, outcome],
      );
      if (r.rowCount)
        await touchLead(db, tenantId, phone, event.occurredAt, {
          calls: 1,
          missed_calls: afterHours ? 1 : 0,
        });
      return;
    }
    case 'DialAnswered':
      await db.query(
        `UPDATE dashboard_calls SET outcome = 'answered', dial_call_status = $3
          WHERE tenant_id = $1 AND call_sid = $2`,
        [tenantId, event.data.callSid, event.data.dialCallStatus],
      );
      return;
    case 'DialMissed': {
      const r = await db.query(
        `UPDATE dashboard_calls SET outcome = 'missed', dial_call_status = $3
          WHERE tenant_id = $1 AND call_sid = $2 AND outcome = 'ringing'`,
        [tenantId, event.data.callSid, event.data.dialCallStatus],
      );
      if (r.rowCount) await touchLead(db, tenantId, phone, event.occurredAt, { missed_calls: 1 });
      return;
    }
    case 'EmergencyEscalated':
      // The on-call phone is being rung: its Dial result settles the outcome.
      await db.query(
        `UPDATE dashboard_calls SET outcome = 'ringing'
          WHERE tenant_id = $1 AND call_sid = $2 AND outcome = 'emergency-menu'`,
        [tenantId, event.data.callSid],
      );
      return;
    case 'EmergencyDeclined':
    case 'TimerElapsed': {
      const callSid = event.type === 'EmergencyDeclined' ? event.data.callSid : event.data.key;
      if (event.type === 'TimerElapsed' && event.data.kind !== 'emergency-menu-timeout') return;
      const r = await db.query(
        `UPDATE dashboard_calls SET outcome = 'after-hours'
          WHERE tenant_id = $1 AND call_sid = $2 AND outcome = 'emergency-menu'`,
        [tenantId, callSid],
      );
      if (r.rowCount) await touchLead(db, tenantId, phone, event.occurredAt, { missed_calls: 1 });
      return;
    }
    case 'LeadStatusChanged':
      await touchLead(db, tenantId, phone, event.occurredAt, {});
      await db.query(
        `UPDATE dashboard_leads SET status = $3, status_changed_at = $4
          WHERE tenant_id = $1 AND phone = $2
            AND (status_changed_at IS NULL OR status_changed_at <= $4)`,
        [tenantId, phone, event.data.status, event.occurredAt],
      );
      return;
    case 'SmsInbound': {
      if (!event.data.autoReply && event.data.keyword === null) {
        await touchLead(db, tenantId, phone, event.occurredAt, {});
        await db.query(
          `UPDATE dashboard_leads SET intent = $3,
             emergencies = emergencies + CASE WHEN $3 = 'EMERGENCY' THEN 1 ELSE 0 END
           WHERE tenant_id = $1 AND phone = $2
             AND NOT EXISTS (SELECT 1 FROM dashboard_messages
                              WHERE tenant_id = $1 AND message_key = $4)`,
          [tenantId, phone, event.data.urgency, event.data.messageSid],
        );
      }
      const r = await db.query(
        `INSERT INTO dashboard_messages (tenant_id, message_key, direction, phone, counterpart, body, status, message_sid, at, event_position, urgency)
         VALUES ($1, $2, 'inbound', $3, $3, $4, 'received', $2, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          tenantId,
          event.data.messageSid,
          phone,
          event.data.body,
          event.occurredAt,
          event.position,
          event.data.keyword === null && !event.data.autoReply ? event.data.urgency : null,
        ],
      );
      if (r.rowCount) await touchLead(db, tenantId, phone, event.occurredAt, { messages_in: 1 });
      return;
    }
    case 'ConsentRevoked':
    case 'ConsentGranted': {
      const optedOut = event.type === 'ConsentRevoked';
      if (!optedOut && event.data.basis !== 'express') return;
      await touchLead(db, tenantId, phone, event.occurredAt, {});
      await db.query(
        'UPDATE dashboard_leads SET opted_out = $3 WHERE tenant_id = $1 AND phone = $2',
        [tenantId, phone, optedOut],
      );
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
      const earlier = await db.query<{ status: string; body: string }>(
        'SELECT status, body FROM dashboard_messages WHERE tenant_id = $1 AND message_key = $2 FOR UPDATE',
        [tenantId, d.outboxId],
      );
      const merged = earlier.rows[0] ? nextMessageStatus(status, earlier.rows[0].status) : status;
      const r = await db.query(
        `INSERT INTO dashboard_messages (tenant_id, message_key, direction, audience, purpose, phone, counterpart, body, status, message_sid, error, at, event_position)
         VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (tenant_id, message_key) DO UPDATE SET status = EXCLUDED.status,
           audience = EXCLUDED.audience, purpose = EXCLUDED.purpose, counterpart = EXCLUDED.counterpart,
           body = EXCLUDED.body, at = EXCLUDED.at, event_position = EXCLUDED.event_position,
           message_sid = COALESCE(EXCLUDED.message_sid, dashboard_messages.message_sid),
           error = COALESCE(EXCLUDED.error, dashboard_messages.error)
         RETURNING (xmax = 0) AS inserted`,
        [
          tenantId,
          d.outboxId,
          d.audience,
          d.purpose,
          phone,
          d.to,
          d.body,
          merged,
          messageSid,
          error,
          event.occurredAt,
          event.position,
        ],
      );
      const first = r.rows[0]?.inserted || earlier.rows[0]?.body === '';
      if (event.type === 'OutboundSmsSent' && d.purpose === 'missed-call-text') {
        // Response time: the first text answering the missed call (dedupe key `<CallSid>:…`).
        await db.query(
          `UPDATE dashboard_calls SET first_text_at = LEAST(COALESCE(first_text_at, $3), $3)
            WHERE tenant_id = $1 AND call_sid = $2`,
          [tenantId, d.dedupeKey.split(':')[0], event.occurredAt],
        );
      }
      if (d.audience === 'lead' && event.type === 'OutboundSmsSent' && first) {
        await touchLead(db, tenantId, phone, event.occurredAt, { messages_out: 1 });
      }
      return;
    }
    case 'OutboundSmsStatusUpdated': {
      const { messageSid, status, errorCode, outboxId } = event.data;
      const current = await db.query<{ message_key: string; status: string }>(
        `SELECT message_key, status FROM dashboard_messages
          WHERE tenant_id = $1 AND (message_key = $2 OR message_sid = $3) FOR UPDATE`,
        [tenantId, outboxId ?? '', messageSid],
      );
      const row = current.rows[0];
      if (!row) {
        if (!outboxId) return;
        // Overtook its Sent event: a placeholder the Sent event fills in.
        await db.query(
          `INSERT INTO dashboard_messages (tenant_id, message_key, direction, phone, counterpart, body, status, message_sid, error, at, event_position)
           VALUES ($1, $2, 'outbound', $3, '', '', $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          [
            tenantId,
            outboxId,
            phone,
            status,
            messageSid,
            errorCode,
            event.occurredAt,
            event.position,
          ],
        );
        return;
      }
      await db.query(
        `UPDATE dashboard_messages SET status = $3, message_sid = COALESCE(message_sid, $4),
           error = COALESCE($5, error) WHERE tenant_id = $1 AND message_key = $2`,
        [tenantId, row.message_key, nextMessageStatus(row.status, status), messageSid, errorCode],
      );
      return;
    }
    default:
      return;
  }
}
