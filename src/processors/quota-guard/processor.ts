import type { Consumer } from '../../log/event-log.ts';
import { enqueueIntents } from '../../outbound/outbox.ts';
import { tenantDirectory } from '../../projections/tenants/tenant-directory.ts';

/**
 * Tells the owner, once per day, that today's cap of texts to customers is reached (design
 * §7: cost protection belongs on the outbound side; inbound webhooks are never refused).
 * The alert itself counts against the owner-alert cap.
 */
export const quotaGuardProcessor: Consumer = {
  name: 'processor:quota-guard',
  async handle(event, ctx) {
    if (event.type !== 'QuotaExceeded' || event.data.audience !== 'lead' || !event.tenantId) return;
    const tenant = await tenantDirectory.get(ctx.db, event.tenantId);
    if (!tenant) return;
    await enqueueIntents(
      ctx,
      {
        tenantId: tenant.tenantId,
        streamId: event.streamId,
        leadPhone: tenant.ownerPhone,
        eventId: event.id,
        correlationId: event.correlationId,
        traceparent: event.traceparent,
        occurredAt: event.occurredAt,
      },
      [
        {
          dedupeKey: `${tenant.tenantId}:${event.data.day}:quota-alert`,
          audience: 'owner',
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
    );
  },
};
