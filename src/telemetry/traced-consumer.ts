import type { Consumer } from '../log/event-log.ts';
import { inSpan, SpanKind } from './trace-context.ts';

/**
 * Wraps `consumer` so that each event it handles runs in a span named
 * `<consumer name> handle <EventType>` (kind CONSUMER) whose parent is the trace context stored
 * in the event's envelope (`traceparent`). Inside it the handler's queries are traced and
 * what it enqueues or appends carries the span's own context, so the trace of a webhook goes
 * on through the processors to the sender. Replays (rebuilds) make no spans. The wrapper
 * keeps the consumer's name; a handler error fails the span and is rethrown unchanged.
 */
export function tracedConsumer(consumer: Consumer): Consumer {
  const traced: Consumer = {
    name: consumer.name,
    ...(consumer.asyncCommit && { asyncCommit: true }),
    ...(consumer.eventTypes && { eventTypes: consumer.eventTypes }),
    handle(event, ctx) {
      if (ctx.replay) return consumer.handle(event, ctx);
      return inSpan(
        `${consumer.name} handle ${event.type}`,
        {
          parent: event.traceparent,
          kind: SpanKind.CONSUMER,
          attributes: {
            'leadline.consumer': consumer.name,
            'leadline.event.id': event.id,
            'leadline.event.type': event.type,
            'leadline.event.position': event.position,
            'leadline.stream.category': event.streamId.split(':')[0] ?? '',
            ...(event.correlationId ? { 'leadline.correlation_id': event.correlationId } : {}),
          },
        },
        () => consumer.handle(event, ctx),
      );
    },
  };
  const batch = consumer.handleBatch;
  if (!batch) return traced;
  return {
    ...traced,
    // A replay goes through in whole batches, without spans. Live, each event gets its own
    // span under its own trace (live batches are a few events), handled as a batch of one.
    async handleBatch(events, ctx) {
      if (ctx.replay) return batch.call(consumer, events, ctx);
      for (const event of events) await traced.handle(event, ctx);
    },
  };
}
