import { newEvent } from '../events/new-event.ts';
import { REJECTED_WEBHOOKS_STREAM } from '../events/streams.ts';
import type { EventData } from '../events/catalogue.ts';
import type { CommandDeps } from './command-deps.ts';

/**
 * Records `WebhookRejected` for operators: a webhook refused for its signature, or for a
 * number no tenant owns. Never a lead, never consent, never a message. Repeats of the same
 * refusal (same route, reason and Sid) are recorded once.
 */
export async function rejectWebhook(
  data: EventData<'WebhookRejected'>,
  deps: CommandDeps & { uniqueId: () => string },
): Promise<void> {
  await deps.log.append([
    newEvent(
      {
        type: 'WebhookRejected',
        streamId: REJECTED_WEBHOOKS_STREAM,
        tenantId: null,
        data,
        idempotencyKey: `${data.route}:${data.reason}:${data.sid ?? deps.uniqueId()}`,
        correlationId: data.sid,
        traceparent: deps.traceparent ?? null,
      },
      deps.clock,
    ),
  ]);
}
