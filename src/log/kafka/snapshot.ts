import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { LogSnapshot } from '../log-snapshot.ts';
import { kafkaPosition } from './codec.ts';

/** The Kafka log's clients and topics a snapshot reads (the adapter's own). */
export interface KafkaSnapshotOptions {
  kafka: Kafka;
  /** A connected admin client; the snapshot uses it and leaves it connected. */
  admin: Admin;
  /** Topic and consumer-group prefix (the throwaway reading groups are named under it). */
  prefix: string;
  /** Every topic of the log, in reading order (tenants before leads). */
  topics: string[];
}

/** A partition's range to read: `[low, high)` offsets. */
interface Range {
  topic: string;
  partition: number;
  low: bigint;
  high: bigint;
}

/**
 * Takes a snapshot of the Kafka log: the high-water mark of every partition of the
 * `<prefix>.tenants`, `.leads` and `.operations` topics (`options.topics`) is read first (kafkajs admin
 * `fetchTopicOffsets`), then each topic is read from its low-water mark up to those marks
 * and no further, so events appended meanwhile are left for the next backup. Topics are read
 * one after another in that order (tenants before their leads); within a topic the partitions
 * interleave as fetched, each in offset order, which keeps every stream in order (one stream,
 * one partition). Reading uses a throwaway consumer group, deleted afterwards, and hands one
 * fetched batch at a time to the writer, so memory stays bounded. Events are exported as
 * produced, at the schema version they were written in (not upcast).
 *
 * @throws Error when the brokers cannot be reached.
 */
export async function kafkaSnapshot(options: KafkaSnapshotOptions): Promise<LogSnapshot> {
  const { kafka, admin } = options;
  const takenAt = new Date();
  const existing = new Set(await admin.listTopics());
  const ranges: Range[] = [];
  for (const topic of options.topics) {
    if (!existing.has(topic)) continue;
    const offsets = await admin.fetchTopicOffsets(topic);
    for (const o of offsets.sort((a, b) => a.partition - b.partition)) {
      ranges.push({ topic, partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) });
    }
  }
  const events = ranges.reduce((n, r) => n + Number(r.high - r.low), 0);
  return {
    kind: 'kafka',
    events,
    head: null,
    highWatermarks: Object.fromEntries(
      ranges.map((r) => [`${r.topic}/${r.partition}`, r.high.toString()]),
    ),
    takenAt,
    read: () => readRanges(kafka, admin, options.prefix, ranges, events),
    // The clients are the log's: it disconnects them when it closes.
    close: async () => {},
  };
}

/** Yields every message of `ranges`, one topic at a time, and checks the count. */
async function* readRanges(
  kafka: Kafka,
  admin: Admin,
  prefix: string,
  ranges: Range[],
  expected: number,
): AsyncIterable<RecordedLeadlineEvent> {
  let read = 0;
  const topics = [...new Set(ranges.map((r) => r.topic))];
  for (const topic of topics) {
    const pending = ranges.filter((r) => r.topic === topic && r.high > r.low);
    if (pending.length === 0) continue;
    for await (const event of readTopic(kafka, admin, prefix, topic, pending)) {
      read++;
      yield event;
    }
  }
  if (read !== expected) {
    throw new Error(
      `read ${read} records below the high-water marks where ${expected} were expected (offset gaps: compacted or transactional topics are not supported)`,
    );
  }
}

/** Reads one topic's `ranges` with a throwaway consumer group. */
async function* readTopic(
  kafka: Kafka,
  admin: Admin,
  prefix: string,
  topic: string,
  ranges: Range[],
): AsyncIterable<RecordedLeadlineEvent> {
  const next = new Map(ranges.map((r) => [r.partition, r.low]));
  const high = new Map(ranges.map((r) => [r.partition, r.high]));
  const complete = () => [...next].every(([p, offset]) => offset >= high.get(p)!);
  const handoff = new Handoff<RecordedLeadlineEvent[]>();
  const groupId = `${prefix}.backup.${randomUUID()}`;
  const reader = kafka.consumer({ groupId, maxWaitTimeInMs: 250, sessionTimeout: 30_000 });
  await reader.connect();
  try {
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    reader
      .run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          const to = high.get(batch.partition);
          if (to === undefined || handoff.closed) return;
          const events: RecordedLeadlineEvent[] = [];
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            // A redelivery after a rebalance starts before where we are: skip what we have.
            if (offset < next.get(batch.partition)! || offset >= to) continue;
            events.push(storedEvent(topic, batch.partition, message));
            next.set(batch.partition, offset + 1n);
          }
          if (events.length > 0) await handoff.put(events);
          await heartbeat().catch(() => {});
          if (complete()) handoff.end();
        },
      })
      .catch((error: Error) => handoff.end(error));
    for (;;) {
      const events = await handoff.take();
      if (events === undefined) break;
      yield* events;
    }
  } finally {
    handoff.close();
    await reader.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }
}

/**
 * Passes items from a push source (kafkajs' `eachBatch`) to a pull reader one at a time:
 * `put` resolves once the reader has taken the item, so at most one item waits.
 */
class Handoff<T> {
  private readonly queue: Array<{ item: T; taken: () => void }> = [];
  private wake: (() => void) | undefined;
  private finished = false;
  private failure: Error | undefined;
  /** True once the reader stopped: puts resolve at once and are dropped. */
  closed = false;

  /** Offers `item`; resolves when the reader takes it (or has stopped). */
  put(item: T): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((taken) => {
      this.queue.push({ item, taken });
      this.wake?.();
    });
  }

  /** No more items; `error` makes the reader's next `take` throw it. */
  end(error?: Error): void {
    this.finished = true;
    this.failure ??= error;
    this.wake?.();
  }

  /** The next item; undefined once ended. @throws the error given to `end`. */
  async take(): Promise<T | undefined> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        next.taken();
        return next.item;
      }
      if (this.failure) throw this.failure;
      if (this.finished) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** The reader stops: releases every waiting `put`. */
  close(): void {
    this.closed = true;
    for (const { taken } of this.queue.splice(0)) taken();
  }
}

/**
 * A message as the envelope it was produced as (the codec's `encode`), at its stored schema
 * version, with its `topic/partition/offset` position.
 * @throws Error when the value is missing or not an event envelope.
 */
function storedEvent(
  topic: string,
  partition: number,
  message: KafkaMessage,
): RecordedLeadlineEvent {
  const at = kafkaPosition(topic, partition, message.offset);
  type Raw = { id?: unknown; type?: unknown; streamId?: unknown };
  let envelope: Raw | undefined;
  try {
    if (message.value) envelope = JSON.parse(message.value.toString('utf8')) as Raw;
  } catch {
    // reported below
  }
  if (!envelope?.id || !envelope.type || !envelope.streamId) {
    throw new Error(`not an event envelope at ${at}`);
  }
  return { ...envelope, position: at } as RecordedLeadlineEvent;
}
