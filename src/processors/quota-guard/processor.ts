import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Consumer, ConsumerContext } from '../../log/event-log.ts';
import { enqueueCausedIntents } from '../../outbound/outbox.ts';
import { tenantDirectory } from '../../projections/tenants/tenant-directory.ts';

/**
 * Tells the owner, once per day, that today's cap of texts to customers is reached (design
 * §7: cost protection belongs on the outbound side; inbound webhooks are never refused).
 * The alert itself counts against the owner-alert cap. One event is a batch of one:
 * `handle` and `handleBatch` are one path ({@link alertQuotasReached}).
 */
export const quotaGuardProcessor: Consumer = {
  name: 'processor:quota-guard',
  eventTypes: new Set(['QuotaExceeded']),
  handle: (event, ctx) => alertQuotasReached([event], ctx),
  handleBatch: alertQuotasReached,
};

type QuotaExceeded = Extract<RecordedLeadlineEvent, { type: 'QuotaExceeded' }>;

/**
 * For each `QuotaExceeded` of customers' texts in `events` (in log order), enqueues the
 * owner's alert, keyed `<tenantId>:<day>:quota-alert` (so once a day whatever the events'
 * number). The events' tenants are read in one query and the alerts written in one statement;
 * an event whose tenant is not in the tenants projection is passed over. In replay mode the
 * outbox refuses, as for one event.
 */
async function alertQuotasReached(
  events: readonly RecordedLeadlineEvent[],
  ctx: ConsumerContext,
): Promise<void> {
  const reached = events.filter(
    (event): event is QuotaExceeded & { tenantId: string } =>
      event.type === 'QuotaExceeded' && event.data.audience === 'lead' && !!event.tenantId,
  );
  if (reached.length === 0) return;
  const tenants = await tenantDirectory.getMany(ctx.db, [
    ...new Set(reached.map((event) => event.tenantId)),
  ]);
  await enqueueCausedIntents(
    ctx,
    reached.flatMap((event) => {
      const tenant = tenants.get(event.tenantId);
      if (!tenant) return [];
      return [
        {
          cause: {
            tenantId: tenant.tenantId,
            streamId: event.streamId,
            leadPhone: tenant.ownerPhone,
            eventId: event.id,
            correlationId: event.correlationId,
            traceparent: event.traceparent,
            occurredAt: event.occurredAt,
          },
          intents: [
            {
              dedupeKey: `${tenant.tenantId}:${event.data.day}:quota-alert`,
              audience: 'owner' as const,
              purpose: 'quota-alert',
              to: tenant.ownerPhone,
              from: tenant.twilioNumber,
              body:
                `Leadline: today's limit of ${event.data.limit} texts to customers is reached. ` +
                'New callers are not being texted until tomorrow; you still get alerts. ' +
                'Raise the limit with: leadline tenants add … --daily-quota',
              consentExempt: true,
            },
          ],
        },
      ];
    }),
  );
}
