import type pg from 'pg';
import type { LeadlineEvent } from '../events/catalogue.ts';
import { newEvent } from '../events/new-event.ts';
import { UNSUBSCRIBED_RECIPIENT } from '../rules/message-status.ts';
import type { CommandDeps } from './command-deps.ts';
import { updateConsentGate } from '../consent/index.ts';

/** A message status callback (`MessageStatus`: queued, sent, delivered, undelivered, failed, …). */
export interface SmsStatus {
  messageSid: string;
  status: string;
  errorCode: string | null;
  /** From the callback URL (`?outboxId=`), which the sender sets on every request. */
  outboxId: string | null;
}

/**
 * Records `OutboundSmsStatusUpdated` on the stream of the outbound message it concerns (found
 * by the outbox id the sender put in the callback URL, else by `MessageSid`), idempotent on
 * (`MessageSid`, `MessageStatus`). Error 21610 on a text to a lead (the recipient is
 * unsubscribed at the carrier) also records `ConsentRevoked` (channel `carrier-error-21610`).
 *
 * @returns false when no outbound message matches (the callback is ignored).
 */
export async function recordSmsStatus(
  status: SmsStatus,
  deps: CommandDeps & { db: pg.Pool },
): Promise<boolean> {
  const { rows } = await deps.db.query<{
    stream_id: string;
    tenant_id: string;
    outbox_id: string;
    audience: 'lead' | 'owner';
    purpose: string;
    lead_phone: string;
  }>(
    `SELECT stream_id, tenant_id, outbox_id, audience, purpose, lead_phone FROM outbound_messages
      WHERE outbox_id = $1::uuid OR message_sid = $2 LIMIT 1`,
    [status.outboxId, status.messageSid],
  );
  const row = rows[0];
  if (!row) return false;
  const common = {
    streamId: row.stream_id,
    tenantId: row.tenant_id,
    correlationId: status.messageSid,
    traceparent: deps.traceparent ?? null,
  };
  const events: LeadlineEvent[] = [
    newEvent(
      {
        ...common,
        type: 'OutboundSmsStatusUpdated',
        data: { ...status, outboxId: row.outbox_id, audience: row.audience, purpose: row.purpose },
        idempotencyKey: `${status.messageSid}:${status.status}`,
      },
      deps.clock,
    ),
  ];
  if (status.errorCode === UNSUBSCRIBED_RECIPIENT && row.audience === 'lead') {
    events.push(
      newEvent(
        {
          ...common,
          type: 'ConsentRevoked',
          causationId: events[0]!.id,
          data: {
            phone: row.lead_phone,
            channel: 'carrier-error-21610',
            text: null,
            evidence: { messageSid: status.messageSid, errorCode: status.errorCode },
          },
          idempotencyKey: `${status.messageSid}:21610`,
        },
        deps.clock,
      ),
    );
  }
  await deps.log.append(events);
  await updateConsentGate(deps, events);
  return true;
}
