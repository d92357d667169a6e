import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Logger } from '../../shared/logger.ts';
import type { FollowHandler, FollowOptions } from '../event-log.ts';
import { decode } from './codec.ts';

/** What {@link followKafka} needs from the log. */
export interface KafkaFollowSettings {
  kafka: Kafka;
  admin: Admin;
  /** Every topic of the log. */
  topics: string[];
  /** The log's group prefix; the throwaway group is `<prefix>.tail.<uuid>`. */
  groupPrefix: string;
  log: Logger;
}

/**
 * With `{ last: n }`, how far back each partition is read (at least n messages): the n newest
 * *matching* events are looked for among these, so a filter on a busy log still finds some.
 */
export const KAFKA_LAST_LOOKBACK = 1_000;

type PartitionKey = `${string}/${number}`;
const key = (topic: string, partition: number): PartitionKey => `${topic}/${partition}`;

const header = (message: KafkaMessage, name: string): string | undefined => {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

/**
 * True when `message` passes the filters of `options`, judged from the headers `encode`
 * writes (`type`, `tenant-id`) so an event not shown is never decoded.
 */
function matches(message: KafkaMessage, options: FollowOptions): boolean {
  if (options.types && options.types.length > 0) {
    const type = header(message, 'type');
    if (type === undefined || !options.types.includes(type)) return false;
  }
  if (options.tenantId !== undefined && header(message, 'tenant-id') !== options.tenantId) {
    return false;
  }
  return true;
}

/**
 * Follows the Kafka log without being a consumer (`leadline events tail`): a kafkajs consumer
 * in a throwaway group (`<prefix>.tail.<uuid>`, deleted on stop) that never commits an offset
 * and writes no `kafka_offsets` row, so no consumer's position moves. Each partition starts
 * at its high-water mark when the call began (`from: 'now'`), its low mark (`start`), or
 * {@link KAFKA_LAST_LOOKBACK} (at least n) messages before the high mark (`{ last: n }`: of
 * what those hold, the n newest matching events by recorded time are delivered first).
 * Messages below the start are skipped whatever the group fetched first, and a rejoin (after
 * a rebalance) seeks on from what was delivered, so nothing is shown twice. Order is per
 * partition (one stream's events are in order); partitions interleave as they arrive. Runs
 * until `signal` aborts.
 *
 * @throws UnknownSchemaVersionError when an event that passes the filters cannot be read;
 *   the consumer's own crash (brokers gone past kafkajs's retries).
 */
export async function followKafka(
  settings: KafkaFollowSettings,
  options: FollowOptions,
  onEvent: FollowHandler,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const { kafka, admin, topics, log } = settings;
  const from = options.from ?? 'now';
  const lookback = BigInt(typeof from === 'object' ? Math.max(from.last, KAFKA_LAST_LOOKBACK) : 0);
  /** The next offset to deliver, per partition: where it starts, then past what was seen. */
  const next = new Map<PartitionKey, bigint>();
  /** Partitions whose backlog (below the high mark at start) is still to come. */
  const backlogUntil = new Map<PartitionKey, bigint>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const low = BigInt(p.low);
      const high = BigInt(p.high);
      const start =
        from === 'start'
          ? low
          : from === 'now'
            ? high
            : high - lookback > low
              ? high - lookback
              : low;
      next.set(key(topic, p.partition), start);
      if (typeof from === 'object' && high > start) backlogUntil.set(key(topic, p.partition), high);
    }
  }

  // `{ last: n }`: hold everything until every partition's backlog is in, then deliver the
  // n newest of the backlog by recorded time, then what arrived meanwhile.
  const backlog: RecordedLeadlineEvent[] = [];
  const heldLive: RecordedLeadlineEvent[] = [];
  let holding = typeof from === 'object';

  const groupId = `${settings.groupPrefix}.tail.${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: TAIL_SESSION_TIMEOUT_MS,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });

  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });

  let readyCalled = false;
  const markReady = () => {
    if (readyCalled || signal.aborted) return;
    readyCalled = true;
    options.onReady?.();
  };
  const releaseHeld = async () => {
    holding = false;
    backlog.sort(
      (a, b) =>
        Date.parse(a.recordedAt) - Date.parse(b.recordedAt) || a.position.localeCompare(b.position),
    );
    const n = typeof from === 'object' ? from.last : 0;
    for (const event of backlog.slice(-n)) await onEvent(event);
    for (const event of heldLive) await onEvent(event);
    backlog.length = 0;
    heldLive.length = 0;
  };

  await consumer.connect();
  try {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) fail(payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = next.get(key(topic, partition));
          if (offset !== undefined) consumer.seek({ topic, partition, offset: offset.toString() });
        }
      }
      readyResolve();
    });
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, isRunning }) => {
        try {
          const k = key(batch.topic, batch.partition);
          for (const message of batch.messages) {
            if (!isRunning() || signal.aborted) return;
            const offset = BigInt(message.offset);
            if (offset < (next.get(k) ?? 0n)) continue; // before the start, or seen already
            next.set(k, offset + 1n);
            const until = backlogUntil.get(k);
            if (until !== undefined && offset >= until - 1n) backlogUntil.delete(k);
            if (!matches(message, options)) continue;
            const event = decode(batch.topic, batch.partition, message);
            if (!holding) await onEvent(event);
            else if (until !== undefined && offset < until) backlog.push(event);
            else heldLive.push(event);
          }
          if (holding && backlogUntil.size === 0) {
            await releaseHeld();
            markReady();
          }
        } catch (error) {
          fail(error);
        }
      },
    });
    await Promise.race([ready, failed, aborted]);
    if (holding && backlogUntil.size === 0) await releaseHeld();
    if (!holding) markReady();
    await Promise.race([failed, aborted]);
  } finally {
    await consumer.disconnect().catch(() => {});
    await deleteThrowawayGroup(admin, groupId, log);
  }
}

/**
 * The tail's session timeout (ms): how long the broker keeps a member that vanished without
 * leaving (Kafka's `session.timeout.ms`; the broker's minimum is 6 s by default).
 */
const TAIL_SESSION_TIMEOUT_MS = 6_000;

/**
 * Deletes the tail's throwaway group. Right after the member leaves, a loaded broker may still
 * hold the group as not empty (`NON_EMPTY_GROUP`); and when the member's leave request was
 * lost (its disconnect failed), the broker drops it only once its session times out
 * ({@link TAIL_SESSION_TIMEOUT_MS}). So the delete is tried every 300 ms until that timeout
 * and 2 s more have passed; a group still left then is logged, not thrown (it holds no
 * offsets). A group that does not exist (the tail never joined) is done.
 */
async function deleteThrowawayGroup(admin: Admin, groupId: string, log: Logger): Promise<void> {
  const giveUpAt = Date.now() + TAIL_SESSION_TIMEOUT_MS + 2_000;
  for (;;) {
    try {
      await admin.deleteGroups([groupId]);
      return;
    } catch (error) {
      if (groupGone(error)) return;
      if (Date.now() >= giveUpAt) {
        log.warn({ err: error, groupId }, 'could not delete the tail consumer group');
        return;
      }
      await sleep(300);
    }
  }
}

/** True when a `deleteGroups` failure says only that the group does not exist. */
function groupGone(error: unknown): boolean {
  const groups = (error as { groups?: Array<{ error?: { type?: string } }> }).groups;
  return !!groups?.length && groups.every((g) => g.error?.type === 'GROUP_ID_NOT_FOUND');
}
