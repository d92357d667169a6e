import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import { upcast } from '../../events/upcasters.ts';

/**
 * Encodes an event as a Kafka message: key `streamId` (one stream, one partition, in order),
 * value the JSON envelope, headers the envelope's routing fields (`type`, `schema-version`,
 * `event-id`, `stream-id`, `tenant-id`, and W3C `traceparent`) so tools can filter without
 * parsing values.
 */
export function encode(event: LeadlineEvent): { key: string; value: string; headers: IHeaders } {
  const headers: IHeaders = {
    type: event.type,
    'schema-version': String(event.schemaVersion),
    'event-id': event.id,
    'stream-id': event.streamId,
  };
  if (event.tenantId) headers['tenant-id'] = event.tenantId;
  if (event.traceparent) headers.traceparent = event.traceparent;
  return { key: event.streamId, value: JSON.stringify(event), headers };
}

/** Position string of a Kafka record: `topic/partition/offset`. */
export const kafkaPosition = (topic: string, partition: number, offset: string): string =>
  `${topic}/${partition}/${offset}`;

/**
 * Decodes a message produced by {@link encode}, brought to the current schema version of its
 * type (`events/upcasters.ts`): every reader of the Kafka log (`read`, subscriptions,
 * `follow`) goes through here, so none sees an old version.
 * @throws Error when the value is missing or not an event envelope;
 *   UnknownSchemaVersionError for a version or type this code cannot read.
 */
export function decode(
  topic: string,
  partition: number,
  message: KafkaMessage,
): RecordedLeadlineEvent {
  if (!message.value)
    throw new Error(`empty message at ${kafkaPosition(topic, partition, message.offset)}`);
  const envelope = JSON.parse(message.value.toString('utf8')) as LeadlineEvent;
  if (!envelope.id || !envelope.type || !envelope.streamId) {
    throw new Error(`not an event envelope at ${kafkaPosition(topic, partition, message.offset)}`);
  }
  return upcast({
    ...envelope,
    position: kafkaPosition(topic, partition, message.offset),
  }) as RecordedLeadlineEvent;
}
