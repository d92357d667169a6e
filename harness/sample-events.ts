import type { LeadlineEvent } from '../src/events/catalogue.ts';
import { newEvent } from '../src/events/new-event.ts';
import { systemClock } from '../src/shared/clock.ts';

/** A minimal valid event: `seq` of `stream`, carried in the data so order can be checked. */
export function contractEvent(stream: string, seq: number, salt = ''): LeadlineEvent {
  return newEvent(
    {
      type: 'OutboundSmsStatusUpdated',
      streamId: stream,
      tenantId: 'contract',
      data: {
        outboxId: null,
        messageSid: `${stream}#${seq}`,
        status: String(seq),
        errorCode: null,
        audience: null,
        purpose: null,
      },
      idempotencyKey: `${salt}${stream}#${seq}`,
    },
    systemClock,
  );
}
