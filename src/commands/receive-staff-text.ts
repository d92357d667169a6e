import type pg from 'pg';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId, staffStreamId } from '../events/streams.ts';
import type { EventData, LeadlineEvent } from '../events/catalogue.ts';
import { parseRelayText } from '../rules/lead-ref.ts';
import { keywordOf } from './receive-sms.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CallSteps } from './call-steps.ts';
import type { CommandDeps } from './command-deps.ts';

/** A staff reply without a `#code` goes to the lead of the latest alert within this many ms. */
export const RELAY_TO_LATEST_ALERT_WITHIN_MS = 24 * 60 * 60_000;

/** Longest text relayed (Twilio's limit for one outbound message body). */
export const MAX_RELAY_BODY = 1_600;

/** A text from a staff phone to the business number, as Twilio reports it to `/twilio/sms`. */
export interface StaffText {
  messageSid: string;
  /** The staff phone (E.164; `isStaffPhone`). */
  from: E164;
  body: string;
  /** Twilio Advanced Opt-Out's `OptOutType`, when Twilio handled the text as a keyword. */
  optOutType?: string | null;
}

/** Where a staff text goes: to one lead, or nowhere, with the reason (`StaffTextUnrouted`). */
export type RelayTarget =
  | { kind: 'lead'; phone: E164 }
  | { kind: 'unrouted'; reason: EventData<'StaffTextUnrouted'>['reason'] };

/**
 * Finds the lead a staff text is meant for, from the read models (one or two queries):
 * - a leading `#code` of four digits names the lead with that reference (`rules/lead-ref.ts`,
 *   `dashboard_leads.ref`); a longer one, the lead whose number ends in those digits;
 *   no such lead: `unknown-code`; more than one: `ambiguous-code` (never a guess);
 * - without a code, the lead of the most recent alert about a lead that Twilio accepted for
 *   this staff phone within 24 h (`outbound_messages`; not what Leadline told the staff
 *   member about a relay); none: `no-recent-alert`.
 * `now` is the webhook's time (UTC).
 */
export async function findRelayTarget(
  db: pg.Pool,
  tenant: Tenant,
  staffPhone: E164,
  code: string | null,
  now: Date,
): Promise<RelayTarget> {
  if (code !== null) {
    const { rows } = await db.query<{ phone: E164 }>(
      code.length === 4
        ? 'SELECT phone FROM dashboard_leads WHERE tenant_id = $1 AND ref = $2::integer LIMIT 2'
        : "SELECT phone FROM dashboard_leads WHERE tenant_id = $1 AND phone LIKE '%' || $2 LIMIT 2",
      [tenant.tenantId, code],
    );
    if (rows.length === 0) return { kind: 'unrouted', reason: 'unknown-code' };
    if (rows.length > 1) return { kind: 'unrouted', reason: 'ambiguous-code' };
    return { kind: 'lead', phone: rows[0]!.phone };
  }
  const { rows } = await db.query<{ lead_phone: E164 }>(
    `SELECT lead_phone FROM outbound_messages
      WHERE tenant_id = $1 AND to_number = $2 AND audience = 'owner' AND status = 'sent'
        AND purpose IN ('owner-alert', 'send-failure-alert') AND stream_id LIKE 'lead:%'
        AND created_at > $3
      ORDER BY created_at DESC LIMIT 1`,
    [
      tenant.tenantId,
      staffPhone,
      new Date(now.getTime() - RELAY_TO_LATEST_ALERT_WITHIN_MS).toISOString(),
    ],
  );
  return rows[0]
    ? { kind: 'lead', phone: rows[0].lead_phone }
    : { kind: 'unrouted', reason: 'no-recent-alert' };
}

/**
 * The facts a staff text establishes once its target is known (pure): `StaffReplied` in the
 * lead's stream (the text without its `#code`, at most 1,600 characters), or
 * `StaffTextUnrouted` in the staff phone's stream. Both are keyed by the `MessageSid`, so
 * Twilio's retries record nothing new.
 */
export function decideStaffText(
  tenant: Tenant,
  text: StaffText,
  target: RelayTarget,
  deps: Pick<CommandDeps, 'clock' | 'traceparent'>,
): LeadlineEvent {
  const { code, message } = parseRelayText(text.body);
  const envelope = {
    tenantId: tenant.tenantId,
    idempotencyKey: text.messageSid,
    correlationId: text.messageSid,
    traceparent: deps.traceparent ?? null,
  };
  if (target.kind === 'lead') {
    return newEvent(
      {
        ...envelope,
        type: 'StaffReplied',
        streamId: leadStreamId(tenant.tenantId, target.phone),
        data: {
          replyId: text.messageSid,
          channel: 'relay',
          author: text.from,
          authorPhone: text.from,
          body: message.slice(0, MAX_RELAY_BODY),
        },
      },
      deps.clock,
    );
  }
  return newEvent(
    {
      ...envelope,
      type: 'StaffTextUnrouted',
      streamId: staffStreamId(tenant.tenantId, text.from),
      data: {
        messageSid: text.messageSid,
        from: text.from,
        reason: target.reason,
        code,
      },
    },
    deps.clock,
  );
}

/**
 * Handles `POST /twilio/sms` from a staff phone: relays the text to a lead (see
 * {@link findRelayTarget}) by recording `StaffReplied`, which the lead-conversation
 * processor turns into one consent-checked text from the business number; or records
 * `StaffTextUnrouted`, answered with one help text. A text that is only a code (nothing to
 * relay) is unrouted too, and so is a carrier keyword (STOP, HELP, START …: never relayed,
 * never answered). The first target found stands for every retry of the same
 * `MessageSid` (`call_steps`), so a retry can never reach a second lead.
 *
 * @throws the database's error when it cannot be read (the webhook spools the text instead).
 */
export async function receiveStaffText(
  tenant: Tenant,
  text: StaffText,
  deps: CommandDeps & { db: pg.Pool; callSteps: CallSteps },
): Promise<LeadlineEvent> {
  const { code, message } = parseRelayText(text.body);
  // STOP, HELP, START … are the carriers' words (Twilio may already have acted on them): a
  // customer must never receive one as if the business had written it.
  const keyword = keywordOf({ body: message, optOutType: text.optOutType ?? null }).family;
  const found: RelayTarget =
    keyword !== null
      ? { kind: 'unrouted', reason: 'carrier-keyword' }
      : message === ''
        ? { kind: 'unrouted', reason: 'empty-message' }
        : await findRelayTarget(deps.db, tenant, text.from, code, deps.clock.now());
  const chosen = await deps.callSteps.first(
    { callSid: text.messageSid, step: 'relay', tenantId: tenant.tenantId },
    found.kind === 'lead' ? found.phone : `unrouted:${found.reason}`,
  );
  const target: RelayTarget = chosen.startsWith('unrouted:')
    ? { kind: 'unrouted', reason: chosen.slice('unrouted:'.length) as 'unknown-code' }
    : { kind: 'lead', phone: chosen as E164 };
  const event = decideStaffText(tenant, text, target, deps);
  await deps.log.append([event]);
  return event;
}
