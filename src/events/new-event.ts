import type { Clock } from '../shared/clock.ts';
import { deterministicId } from '../shared/ids.ts';
import {
  schemaVersions,
  validateEventData,
  type EventData,
  type EventType,
  type LeadlineEvent,
} from './catalogue.ts';

/** What a command or processor knows when it records an event. */
export interface NewEventInput<T extends EventType> {
  type: T;
  streamId: string;
  tenantId: string | null;
  data: EventData<T>;
  /**
   * The external identity of the fact (e.g. the `CallSid`). The event id is derived from it
   * and the type, so recording the same fact twice yields the same id.
   */
  idempotencyKey: string;
  /** When it happened (UTC); defaults to now. */
  occurredAt?: Date;
  causationId?: string | null;
  correlationId?: string | null;
  traceparent?: string | null;
}

/**
 * Builds a validated event envelope with a deterministic id (`uuidv5(type:idempotencyKey)`),
 * stamped with the current schema version of its type (`schemaVersions`).
 * @throws Error when `data` does not match the type's schema.
 */
export function newEvent<T extends EventType>(
  input: NewEventInput<T>,
  clock: Clock,
): LeadlineEvent {
  const now = clock.now();
  return {
    id: deterministicId(input.type, input.idempotencyKey),
    type: input.type,
    schemaVersion: schemaVersions[input.type],
    streamId: input.streamId,
    tenantId: input.tenantId,
    occurredAt: (input.occurredAt ?? now).toISOString(),
    recordedAt: now.toISOString(),
    causationId: input.causationId ?? null,
    correlationId: input.correlationId ?? null,
    traceparent: input.traceparent ?? null,
    data: validateEventData(input.type, input.data),
  } as LeadlineEvent;
}
