import type pg from 'pg';
import type { LeadlineEvent } from '../../events/catalogue.ts';
import { applyConsentChange, gateChangeOf } from './gate.ts';
import type { ConsentGateReader } from './gate-memory.ts';
import { isUnavailable, withDeadline } from '../../shared/faults.ts';
import type { DatabaseReach } from '../../db/reach.ts';

/** Longest (ms) the webhook path waits to write the consent gate. */
const GATE_DEADLINE_MS = 2_000;

/**
 * Writes the consent changes among `events` to the consent gate right after their append, so
 * a STOP stops queued texts at once whatever the processors' lag, and also when the append
 * was spooled: the sender may still be running (on Kafka, the broker can be away while
 * PostgreSQL is up), and only the gate would tell it. On the webhook path (`deps.reach`), a
 * gate that cannot be reached is left to the spool's drain and the consent-gate projection,
 * which apply the same change from the log (the gate ignores a change older than it holds).
 * The webhook path's memory of the gate (`deps.consentGate`) forgets each row changed, so this
 * process's next webhook from that number reads the row again.
 *
 * @throws whatever the write throws, except availability failures on the webhook path.
 */
export async function updateConsentGate(
  deps: { reach?: DatabaseReach; db: pg.Pool; consentGate?: ConsentGateReader },
  events: readonly LeadlineEvent[],
): Promise<void> {
  for (const event of events) {
    const change = gateChangeOf(event);
    if (!change) continue;
    try {
      if (!deps.reach) await applyConsentChange(deps.db, event);
      else {
        await withDeadline(applyConsentChange(deps.db, event), GATE_DEADLINE_MS, 'consent gate');
      }
    } catch (error) {
      if (!deps.reach || !isUnavailable(error)) throw error;
    } finally {
      deps.consentGate?.forget([change]);
    }
  }
}
