import type pg from 'pg';
import { newEvent } from '../events/new-event.ts';
import type { CommandDeps } from './command-deps.ts';

/** A message status callback (`MessageStatus`: queued, sent, delivered, undelivered, failed, …). */
export interface SmsStatus {
  messageSid: string;
  status: string;
  errorCode: string | null;
}

/**
 * Records `OutboundSmsStatusUpdated` on the stream of the outbound message it concerns
 * (found by `MessageSid` in the outbox). Idempotent on (`MessageSid`, `MessageStatus`).
 * A status for a message we did not send is ignored (logged by the caller's request log).
 *
 * @returns false when no outbound message has that `MessageSid`.
 */
export async function recordSmsStatus(
  status: SmsStatus,
  deps: CommandDeps & { db: pg.Pool },
): Promise<boolean> {
  const { rows } = await deps.db.query<{ stream_id: string; tenant_id: string; outbox_id: string }>(
    'SELECT stream_id, tenant_id, outbox_id FROM outbound_messages WHERE message_sid = $1',
    [status.messageSid],
  );
  const row = rows[0];
  if (!row) return false;
  await deps.log.append([
    newEvent(
      {
        type: 'OutboundSmsStatusUpdated',
        streamId: row.stream_id,
        tenantId: row.tenant_id,
        data: status,
        idempotencyKey: `${status.messageSid}:${status.status}`,
        correlationId: status.messageSid,
        traceparent: deps.traceparent ?? null,
      },
      deps.clock,
    ),
  ]);
  return true;
}
