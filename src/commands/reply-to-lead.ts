import type pg from 'pg';
import { isOptedOut } from '../consent/index.ts';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import { ConflictError, ValidationError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import type { E164 } from '../shared/phone.ts';
import type { Tenant } from '../tenants/tenant.ts';
import type { CommandDeps } from './command-deps.ts';
import { MAX_RELAY_BODY } from './receive-staff-text.ts';

/** A reply typed in the dashboard (or sent through the API) to one of the tenant's leads. */
export interface DashboardReply {
  /** The lead (E.164); the caller has checked it is a lead of the tenant. */
  phone: E164;
  body: string;
  /** The API key id that sends it. */
  author: string;
  /** HTTP `Idempotency-Key`: the same key sends once, whatever the number of requests. */
  idempotencyKey: string;
}

/**
 * Records `StaffReplied` (channel `dashboard`) on the lead's stream: the lead-conversation
 * processor turns it into one text from the business number, consent-checked again at send
 * time, and automatic texts to the lead stop (human takeover). The reply id derives from the
 * tenant, the lead and the idempotency key, so a repeated request records nothing new and
 * answers with the same id (the first body stands; a different body under the same key is
 * not sent).
 *
 * @returns the reply id (the outbound text's dedupe key is `<replyId>:staff-reply`) and the
 *   event id.
 * @throws ValidationError (`EMPTY_MESSAGE`, `MESSAGE_TOO_LONG`: at most 1,600 characters,
 *   Twilio's limit) for a body that cannot be sent; ConflictError (`LEAD_OPTED_OUT`) when the
 *   lead opted out of texts (nothing is recorded).
 */
export async function replyToLead(
  tenant: Tenant,
  reply: DashboardReply,
  deps: CommandDeps & { db: pg.Pool },
): Promise<{ replyId: string; eventId: string }> {
  const body = reply.body.trim();
  if (!body) throw new ValidationError('the message is empty', 'EMPTY_MESSAGE');
  if (body.length > MAX_RELAY_BODY) {
    throw new ValidationError(
      `the message has ${body.length} characters; at most ${MAX_RELAY_BODY} can be sent`,
      'MESSAGE_TOO_LONG',
    );
  }
  if (await isOptedOut(deps.db, tenant.tenantId, reply.phone)) {
    throw new ConflictError(
      'this lead opted out of texts (STOP): nothing was sent; call them instead',
      'LEAD_OPTED_OUT',
    );
  }
  // Scoped to the lead: a key reused for another lead is another reply, never a silent no-op.
  const replyId = deterministicId(
    'staff-reply',
    tenant.tenantId,
    reply.phone,
    reply.idempotencyKey,
  );
  const event = newEvent(
    {
      type: 'StaffReplied',
      streamId: leadStreamId(tenant.tenantId, reply.phone),
      tenantId: tenant.tenantId,
      data: { replyId, channel: 'dashboard', author: reply.author, authorPhone: null, body },
      idempotencyKey: replyId,
      correlationId: replyId,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  await deps.log.append([event]);
  return { replyId, eventId: event.id };
}
