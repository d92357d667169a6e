import type pg from 'pg';
import { applyConsentChange, followUnsubscribeToken, gateEntry } from '../consent/index.ts';
import { newEvent } from '../events/new-event.ts';
import { leadStreamId } from '../events/streams.ts';
import type { CommandDeps } from './command-deps.ts';

/** What following a one-click unsubscribe link did. */
export type UnsubscribeOutcome =
  | { outcome: 'unknown-link' }
  | { outcome: 'unsubscribed' | 'already-unsubscribed'; tenantId: string; phone: string };

/**
 * Handles `GET /u/<token>`: records `ConsentRevoked` (channel `one-click-link`, evidence the
 * token) for the tenant and number the token was minted for, effective at once (consent
 * gate). Idempotent: a number already opted out records nothing, and two clicks at the same
 * moment record one revocation (the event id derives from the token and the consent change
 * it follows). No login: the token is the proof (an HMAC nobody can forge).
 */
export async function unsubscribeByLink(
  token: string,
  deps: CommandDeps & { db: pg.Pool },
): Promise<UnsubscribeOutcome> {
  const target = await followUnsubscribeToken(deps.db, token);
  if (!target) return { outcome: 'unknown-link' };
  const gate = await gateEntry(deps.db, target.tenantId, target.phone);
  if (gate?.optedOut) return { outcome: 'already-unsubscribed', ...target };
  const revoked = newEvent(
    {
      type: 'ConsentRevoked',
      streamId: leadStreamId(target.tenantId, target.phone),
      tenantId: target.tenantId,
      data: {
        phone: target.phone,
        channel: 'one-click-link',
        text: null,
        evidence: { token },
      },
      idempotencyKey: `one-click:${token}:${gate?.eventId ?? 'first'}`,
      traceparent: deps.traceparent ?? null,
    },
    deps.clock,
  );
  await deps.log.append([revoked]);
  await applyConsentChange(deps.db, revoked);
  return { outcome: 'unsubscribed', ...target };
}
