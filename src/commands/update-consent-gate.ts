import type pg from 'pg';
import type { LeadlineEvent } from '../events/catalogue.ts';
import type { AppendResult } from '../log/event-log.ts';
import { applyConsentChange } from '../projections/consent-gate/consent-gate.ts';
import { readYourWrites } from '../db/reach.ts';
import type { CommandDeps } from './command-deps.ts';

/**
 * Writes the consent changes among `events` to the consent gate right after their append, so
 * a STOP stops queued texts at once whatever the processors' lag. Skipped when the append was
 * spooled (the drain writes the gate when it appends them; nothing is sent meanwhile, since
 * the sender needs the database too), and best effort on the webhook path (`deps.reach`): the
 * consent-gate projection applies the same changes from the log.
 */
export async function updateConsentGate(
  deps: Pick<CommandDeps, 'reach'> & { db: pg.Pool },
  events: readonly LeadlineEvent[],
  appended: readonly AppendResult[],
): Promise<void> {
  if (appended.some((a) => a.spooled)) return;
  for (const event of events) {
    await readYourWrites(
      deps.reach,
      'consent gate',
      () => applyConsentChange(deps.db, event),
      () => undefined,
    );
  }
}
