import { randomUUID } from 'node:crypto';
import {
  Partitioners,
  type Admin,
  type Kafka,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import pg from 'pg';
import { watchConnections } from '../../db/database.ts';
import { SubscriptionSet } from '../subscription-set.ts';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../events/catalogue.ts';
import type { Logger } from '../../shared/logger.ts';
import type {
  AppendResult,
  Consumer,
  EventLog,
  FollowHandler,
  FollowOptions,
  SubscribeOptions,
  Subscription,
} from '../event-log.ts';
import { followKafka } from './kafka-follow.ts';
import { AppendRegistry, type KafkaLocation, type OwnLanding } from './append-registry.ts';
import { decode, encode, kafkaPosition } from './codec.ts';
import { createKafka } from './kafka-client.ts';
import type { ConsumerLag } from '../consumer-lag.ts';
import type { ConsumerPositions } from '../consumer-positions.ts';
import type { HorizonStatus } from '../log-horizon.ts';
import type { LogDescription } from '../log-kinds.ts';
import type { LogSnapshot } from '../log-snapshot.ts';
import { kafkaCaughtUp, kafkaConsumerLag } from './consumer-lag.ts';
import { kafkaPositions } from './positions.ts';
import { kafkaSnapshot } from './snapshot.ts';
import { kafkaStoredEvents } from './stored-events.ts';
import { KafkaSubscription } from './kafka-subscription.ts';
import { allTopics, topicFor, topicNames, type TopicNames } from './topics.ts';

/** Settings of the Kafka log. */
export interface KafkaEventLogOptions {
  brokers: string[];
  /** Topic and consumer-group prefix. Default `leadline`. */
  prefix?: string;
  /** Partitions of each topic when Leadline creates it. Default 6. */
  partitions?: number;
  /** Replication factor when Leadline creates a topic. Default 1 (use 3 in production). */
  replicationFactor?: number;
  /** PostgreSQL: the append registry and the consumers' offsets. */
  pool: pg.Pool;
  log: Logger;
}

/**
 * The Kafka adapter of the {@link EventLog} port (kafkajs; any Kafka-compatible broker).
 *
 * - Topics per stream category (see `topics.ts`), created explicitly with unlimited retention.
 * - `append`: idempotent producer, `acks=all`, resolves once the broker acknowledged; message
 *   key = `streamId`; the partition is chosen by the Java-compatible murmur2 partitioner and
 *   set explicitly, so each event's offset is known. Duplicate ids are caught by the
 *   registry of appends (`kafka_appends` claims, `kafka_append_landings`; `append-registry.ts`).
 * - `subscribe`: see {@link KafkaSubscription}; positions in PostgreSQL with the effects.
 * - `read(streamId)`: scans the stream's partition from the start (for audit and tests).
 */
export class KafkaEventLog implements EventLog {
  private readonly subscriptions = new SubscriptionSet();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  /**
   * Ids this process claimed whose outcome the registry does not hold yet: where they landed
   * (and under which batch), or null when their produce failed (see
   * {@link AppendRegistry.claim}).
   */
  private readonly unsettled = new Map<string, Promise<OwnLanding | null>>();

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly topics: TopicNames,
    private readonly partitionCounts: Map<string, number>,
    private readonly registry: AppendRegistry,
    private readonly registryPool: pg.Pool,
    private readonly options: KafkaEventLogOptions,
  ) {}

  /**
   * Connects, creates the topics if missing, and starts the producer.
   * @throws Error when the brokers cannot be reached (kafkajs retries first).
   */
  static async open(options: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const prefix = options.prefix ?? 'leadline';
    const kafka = createKafka(options.brokers, `${prefix}-${process.pid}`, options.log);
    const admin = kafka.admin();
    await admin.connect();
    const topics = topicNames(prefix);
    await admin.createTopics({
      waitForLeaders: true,
      topics: allTopics(topics).map((topic) => ({
        topic,
        numPartitions: options.partitions ?? 6,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: [
          { name: 'retention.ms', value: '-1' },
          { name: 'retention.bytes', value: '-1' },
        ],
      })),
    });
    const metadata = await admin.fetchTopicMetadata({ topics: allTopics(topics) });
    const partitionCounts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Fewer retries than the client's default: a broker away for longer is the append's
      // caller's business (webhooks spool, workers retry), and the registry's stall bound
      // (20 s) stays above what one produce can take.
      retry: { initialRetryTime: 100, retries: 5 },
    });
    await producer.connect();
    const registryPool = appendRegistryPool(options.pool, options.log);
    return new KafkaEventLog(
      kafka,
      admin,
      producer,
      topics,
      partitionCounts,
      new AppendRegistry(registryPool),
      registryPool,
      options,
    );
  }

  /** Per topic, the partition list the partitioner is given (made once: only its length counts). */
  private readonly partitionLists = new Map<string, PartitionMetadata[]>();

  private partitionOf(topic: string, streamId: string): number {
    let partitionMetadata = this.partitionLists.get(topic);
    if (!partitionMetadata) {
      const count = this.partitionCounts.get(topic) ?? 1;
      partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      this.partitionLists.set(topic, partitionMetadata);
    }
    return this.partitioner({ topic, partitionMetadata, message: { key: streamId, value: null } });
  }

  async append(events: LeadlineEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    const unique = [...new Map(events.map((e) => [e.id, e])).values()];
    const claims = await this.registry.claim(unique, (id) => this.unsettled.get(id));
    for (const id of claims.appended.keys()) this.unsettled.delete(id);
    const toProduce = unique.filter((e) => claims.toProduce.has(e.id));
    const produced = new Map<string, KafkaLocation>();
    if (toProduce.length > 0) {
      // Until the registry records the outcome, a later append of the same ids in this
      // process (the webhook spool's drain, after this append was given up on) learns it here.
      let outcome!: (landed: Map<string, KafkaLocation> | null) => void;
      const landed = new Promise<Map<string, KafkaLocation> | null>((r) => (outcome = r));
      const mine = new Map(
        toProduce.map((e) => {
          const batchId = claims.toProduce.get(e.id)!;
          const outcome = landed.then((m) => {
            const at = m?.get(e.id);
            return at ? { at, batchId } : null;
          });
          return [e.id, outcome] as const;
        }),
      );
      for (const [id, promise] of mine) this.unsettled.set(id, promise);
      const ids = toProduce.map((e) => e.id);
      /** Forgets this append's outcomes, unless a later append of the same ids replaced them. */
      const forget = () => {
        for (const [id, promise] of mine) {
          if (this.unsettled.get(id) === promise) this.unsettled.delete(id);
        }
      };
      // Group per topic partition, keeping order, so each event's offset is base + index.
      const byPartition = new Map<
        string,
        { topic: string; partition: number; events: LeadlineEvent[] }
      >();
      for (const event of toProduce) {
        const topic = topicFor(event.streamId, this.topics);
        const partition = this.partitionOf(topic, event.streamId);
        const k = `${topic}/${partition}`;
        if (!byPartition.has(k)) byPartition.set(k, { topic, partition, events: [] });
        byPartition.get(k)!.events.push(event);
      }
      try {
        const byTopic = new Map<string, Array<ReturnType<typeof encode> & { partition: number }>>();
        for (const group of byPartition.values()) {
          const list = byTopic.get(group.topic) ?? [];
          for (const event of group.events)
            list.push({ ...encode(event), partition: group.partition });
          byTopic.set(group.topic, list);
        }
        const metadata = await this.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const group of byPartition.values()) {
          const meta = metadata.find(
            (m) => m.topicName === group.topic && m.partition === group.partition,
          );
          if (!meta?.baseOffset)
            throw new Error(`no offset acknowledged for ${group.topic}/${group.partition}`);
          group.events.forEach((event, i) =>
            produced.set(event.id, {
              topic: group.topic,
              partition: group.partition,
              offset: (BigInt(meta.baseOffset!) + BigInt(i)).toString(),
            }),
          );
        }
      } catch (error) {
        // Release before telling a waiting append, so it claims afresh rather than producing
        // under a row this release would then delete.
        const released = await this.registry.release(ids).then(
          () => true,
          () => false,
        );
        outcome(null);
        if (released) forget();
        throw error;
      }
      outcome(produced);
      // Durable in Kafka now; the registry learns where in the background (`settleSoon`).
      void this.registry.settleSoon(produced, claims.toProduce).then(forget);
    }
    const reported = new Set<string>();
    return events.map((e) => {
      const at = produced.get(e.id) ?? claims.appended.get(e.id);
      const duplicate = !produced.has(e.id) || reported.has(e.id);
      reported.add(e.id);
      return {
        id: e.id,
        position: at ? kafkaPosition(at.topic, at.partition, at.offset) : '',
        duplicate,
      };
    });
  }

  async read(streamId: string): Promise<RecordedLeadlineEvent[]> {
    const topic = topicFor(streamId, this.topics);
    const partition = this.partitionOf(topic, streamId);
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const mark = offsets.find((o) => o.partition === partition);
    if (!mark || BigInt(mark.high) <= BigInt(mark.low)) return [];
    const last = BigInt(mark.high) - 1n;
    const groupId = `${this.options.prefix ?? 'leadline'}.read.${randomUUID()}`;
    const reader = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 6_000 });
    const found: RecordedLeadlineEvent[] = [];
    await reader.connect();
    try {
      await reader.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        reader
          .run({
            eachBatch: async ({ batch }) => {
              if (batch.partition !== partition) return;
              for (const message of batch.messages) {
                if (message.key?.toString('utf8') === streamId)
                  found.push(decode(topic, partition, message));
                if (BigInt(message.offset) >= last) resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await reader.disconnect().catch(() => {});
      await this.admin.deleteGroups([groupId]).catch(() => {});
    }
    const seen = new Set<string>();
    return found.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
  }

  /** See {@link EventLog.positions}. */
  get positions(): ConsumerPositions {
    return kafkaPositions(this.admin, this.prefix);
  }

  /** See {@link EventLog.about}. */
  get about(): LogDescription {
    return {
      kind: 'kafka',
      holds: `Kafka topics ${this.prefix}.*`,
      settings: 'DATABASE_URL (or LEADLINE_DATA_DIR, and KAFKA_TOPIC_PREFIX)',
    };
  }

  /** See {@link EventLog.consumerLag} and `consumer-lag.ts`: against the brokers' high-water marks. */
  consumerLag(consumers: readonly string[]): Promise<ConsumerLag[]> {
    return kafkaConsumerLag(this.options.pool, this.admin, allTopics(this.topics), consumers);
  }

  /**
   * See {@link EventLog.hasReached}: with no order across partitions, `consumer` has reached
   * `eventId` once it has handled everything the brokers hold.
   */
  hasReached(consumer: string, _eventId: string): Promise<boolean> {
    return kafkaCaughtUp(this.options.pool, this.admin, allTopics(this.topics), consumer);
  }

  /** See {@link EventLog.horizon}: Kafka readers never wait for older writers. */
  horizon(): Promise<HorizonStatus | null> {
    return Promise.resolve(null);
  }

  /** See {@link EventLog.storedEvents} and `stored-events.ts`. */
  storedEvents(): Promise<number> {
    return kafkaStoredEvents(this.options.pool, this.admin, allTopics(this.topics));
  }

  /** See {@link EventLog.snapshot} and `snapshot.ts`: every partition up to its high-water mark. */
  snapshot(): Promise<LogSnapshot> {
    return kafkaSnapshot({
      kafka: this.kafka,
      admin: this.admin,
      prefix: this.prefix,
      topics: allTopics(this.topics),
    });
  }

  /** Topic and consumer-group prefix. */
  private get prefix(): string {
    return this.options.prefix ?? 'leadline';
  }

  subscribe(consumer: Consumer, options: SubscribeOptions = {}): Subscription {
    const subscription = new KafkaSubscription(consumer, options, {
      kafka: this.kafka,
      admin: this.admin,
      pool: this.options.pool,
      topics: allTopics(this.topics),
      groupPrefix: this.options.prefix ?? 'leadline',
      log: this.options.log,
    });
    return this.subscriptions.track(subscription);
  }

  /** See {@link EventLog.follow} and `kafka-follow.ts`: a throwaway group, no offsets kept. */
  follow(options: FollowOptions, onEvent: FollowHandler, signal: AbortSignal): Promise<void> {
    return followKafka(
      {
        kafka: this.kafka,
        admin: this.admin,
        topics: allTopics(this.topics),
        groupPrefix: this.options.prefix ?? 'leadline',
        log: this.options.log,
      },
      options,
      onEvent,
      signal,
    );
  }

  async close(): Promise<void> {
    await this.subscriptions.stopAll();
    await this.producer.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
    await this.registry.close().catch(() => {});
    await this.registryPool.end().catch(() => {});
  }
}

/**
 * A small pool beside `pool` (same server and settings) whose sessions commit without waiting
 * for the WAL flush (`synchronous_commit=off`), for the append registry only: every append
 * waits for its claim, and waiting for the disk there (and for the settlements behind it)
 * would cost more than the produce itself. What a crash of the PostgreSQL server can lose (its last few
 * hundred milliseconds of registry writes) is only knowledge the registry re-learns: a lost
 * claim lets a retried webhook produce its event again, a lost settlement is taken over after
 * the stall bound, and both copies are harmless because every consumer effect is keyed by
 * event id or dedupe key (at-least-once, see {@link AppendRegistry}). The events themselves
 * are durable in Kafka (`acks=all`) before `append` resolves.
 */
function appendRegistryPool(pool: pg.Pool, log: Logger): pg.Pool {
  const registryPool = new pg.Pool({
    ...pool.options,
    max: 4,
    options: `${pool.options.options ?? ''} -c synchronous_commit=off`.trim(),
  });
  watchConnections(registryPool, log);
  return registryPool;
}
