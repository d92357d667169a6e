import type { Admin, Batch, Consumer as KafkaConsumer, Kafka } from 'kafkajs';
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { rollback, withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Consumer, SubscribeOptions, Subscription } from '../event-log.ts';
import { deliverEvents } from '../deliver-events.ts';
import { decode } from './codec.ts';
import { isHalt, retryDelayMs, searchPathStatement } from '../retry-delay.ts';

/** What a Kafka subscription needs. */
export interface KafkaSubscriptionSettings {
  kafka: Kafka;
  admin: Admin;
  pool: pg.Pool;
  topics: string[];
  /** Kafka consumer group id prefix; the group is `<prefix>.<consumer name>`. */
  groupPrefix: string;
  log: Logger;
}

type PartitionKey = `${string}/${number}`;
const key = (topic: string, partition: number): PartitionKey => `${topic}/${partition}`;

/**
 * Runs one consumer against the Kafka log. The consumer group (`<prefix>.<name>`) assigns
 * partitions, so processes of one name share the work. Positions live in PostgreSQL
 * (`kafka_offsets`), written in the handler's own transaction under a row lock; on joining
 * the group the consumer seeks to them, and inside the transaction it skips anything below
 * them, so an event's effect is never applied twice even while partitions move between
 * processes. Kafka's committed offsets are written after each commit, for tools only.
 * A failing batch is rolled back and retried in place with backoff (100 ms doubling to 30 s).
 */
export class KafkaSubscription implements Subscription {
  private consumerClient: KafkaConsumer | undefined;
  private readonly started: Promise<void>;
  private replayUntil = new Map<PartitionKey, bigint>();
  private stopped = false;
  private readonly consumerLog: Logger;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: SubscribeOptions,
    private readonly settings: KafkaSubscriptionSettings,
  ) {
    this.consumerLog = settings.log.child({ consumer: consumer.name });
    this.started = this.start().catch((error) => {
      settings.log.error({ err: error, consumer: consumer.name }, 'kafka consumer failed to start');
      throw error;
    });
    this.started.catch(() => {});
  }

  private async highWatermarks(): Promise<Map<PartitionKey, { low: bigint; high: bigint }>> {
    const marks = new Map<PartitionKey, { low: bigint; high: bigint }>();
    for (const topic of this.settings.topics) {
      for (const p of await this.settings.admin.fetchTopicOffsets(topic)) {
        marks.set(key(topic, p.partition), { low: BigInt(p.low), high: BigInt(p.high) });
      }
    }
    return marks;
  }

  /**
   * Connects the group's consumer and runs it. `restarting`: after a crash kafkajs does not
   * recover from by itself (see {@link restartAfterCrash}); a `from: 'start'` reset is not
   * made again.
   */
  private async start(restarting = false): Promise<void> {
    const { kafka, pool, log } = this.settings;
    if (this.options.from === 'start' && !restarting) {
      await pool.query('DELETE FROM kafka_offsets WHERE consumer_name = $1', [this.consumer.name]);
      for (const [k, mark] of await this.highWatermarks()) this.replayUntil.set(k, mark.high);
    }
    const client = kafka.consumer({
      groupId: `${this.settings.groupPrefix}.${this.consumer.name}`,
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    this.consumerClient = client;
    await client.connect();
    await client.subscribe({ topics: this.settings.topics, fromBeginning: true });
    client.on(client.events.CRASH, ({ payload }) => {
      // kafkajs restarts a consumer after a retriable failure itself (`restart`); after any
      // other (retries exhausted while the broker was away, say) it would stay stopped, and
      // its partitions unread until the process restarts.
      if (payload.restart || this.stopped) return;
      log.error(
        { err: payload.error, consumer: this.consumer.name },
        'kafka consumer stopped after a failure; starting it again',
      );
      void this.restartAfterCrash(client);
    });
    client.on(client.events.GROUP_JOIN, ({ payload }) => {
      void this.seekToStoredOffsets(client, payload.memberAssignment).catch((error) =>
        log.warn(
          { err: error },
          'seek to stored offsets failed; in-transaction skip still applies',
        ),
      );
    });
    await client.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        let failures = 0;
        while (isRunning() && !isStale() && !this.stopped) {
          try {
            const next = await this.handleBatch(batch, (offset) =>
              client.seek({
                topic: batch.topic,
                partition: batch.partition,
                offset: offset.toString(),
              }),
            );
            if (next === 'reseek') return;
            // Committed (or already applied): fetch on from after this batch.
            if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
            if (next !== undefined) {
              await client
                .commitOffsets([
                  { topic: batch.topic, partition: batch.partition, offset: next.toString() },
                ])
                .catch(() => {});
            }
            return;
          } catch (error) {
            failures++;
            const delay = retryDelayMs(error, failures);
            if (!isHalt(error))
              log.error(
                {
                  err: error,
                  consumer: this.consumer.name,
                  topic: batch.topic,
                  partition: batch.partition,
                  retryInMs: delay,
                },
                'consumer batch failed; retrying',
              );
            // Keep the group membership alive through the backoff (session timeout 6 s).
            for (let waited = 0; waited < delay && isRunning() && !this.stopped; waited += 1_000) {
              await sleep(Math.min(1_000, delay - waited));
              await heartbeat().catch(() => {});
            }
          }
        }
      },
    });
  }

  /** This consumer's stored next offsets, by `topic/partition`. */
  private async storedOffsets(): Promise<Map<PartitionKey, bigint>> {
    const { rows } = await this.settings.pool.query<{
      topic: string;
      partition: number;
      next_offset: string;
    }>('SELECT topic, partition, next_offset FROM kafka_offsets WHERE consumer_name = $1', [
      this.consumer.name,
    ]);
    return new Map(rows.map((r) => [key(r.topic, r.partition), BigInt(r.next_offset)]));
  }

  private async seekToStoredOffsets(
    client: KafkaConsumer,
    assignment: Record<string, number[]>,
  ): Promise<void> {
    const stored = await this.storedOffsets();
    const marks = await this.highWatermarks();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const offset =
          stored.get(key(topic, partition)) ?? marks.get(key(topic, partition))?.low ?? 0n;
        client.seek({ topic, partition, offset: offset.toString() });
      }
    }
  }

  /**
   * Handles one fetched batch in one transaction.
   * @returns the next offset stored if any message was new; `reseek` when the fetch started
   *   past the stored position and the consumer was sent back to it.
   */
  private async handleBatch(
    batch: Batch,
    seek: (offset: bigint) => void,
  ): Promise<bigint | undefined | 'reseek'> {
    if (batch.messages.length === 0) return undefined;
    const setup =
      [
        this.options.searchPath ? searchPathStatement(this.options.searchPath) : undefined,
        this.consumer.asyncCommit ? 'SET LOCAL synchronous_commit = off' : undefined,
      ]
        .filter(Boolean)
        .join('; ') || undefined;
    // Rolled back to seek (`reseekTo`) or committed up to a dead letter (`halted`): acted on
    // once the transaction has ended.
    type Ending = bigint | undefined | { reseekTo: bigint } | { halted: unknown };
    const ending = await withTransaction<Ending>(
      this.settings.pool,
      async (client) => {
        const position = () =>
          client.query<{ next_offset: string }>(
            `SELECT next_offset FROM kafka_offsets
              WHERE consumer_name = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
            [this.consumer.name, batch.topic, batch.partition],
          );
        let { rows } = await position();
        if (rows.length === 0) {
          // A position never stored starts at the partition's beginning, not at whatever Kafka
          // happened to fetch first (its committed offset may be ahead of ours).
          const low =
            (await this.highWatermarks()).get(key(batch.topic, batch.partition))?.low ?? 0n;
          await client.query(
            `INSERT INTO kafka_offsets (consumer_name, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING`,
            [this.consumer.name, batch.topic, batch.partition, low.toString()],
          );
          ({ rows } = await position());
        }
        const from = BigInt(rows[0]!.next_offset);
        if (BigInt(batch.messages[0]!.offset) > from) {
          // Fetched past our stored position (Kafka's committed offset was ahead): go back.
          throw rollback({ reseekTo: from });
        }
        const replayLimit = this.replayUntil.get(key(batch.topic, batch.partition)) ?? -1n;
        // Anything below the stored position was already applied by this consumer name.
        const fresh = batch.messages.filter((message) => BigInt(message.offset) >= from);
        const deliveries = fresh.map((message) => ({
          event: decode(batch.topic, batch.partition, message),
          replay: this.options.replay === true || BigInt(message.offset) < replayLimit,
        }));
        const { handled, halted } = await deliverEvents(
          this.consumer,
          deliveries,
          client,
          this.consumerLog,
        );
        const next = handled > 0 ? BigInt(fresh[handled - 1]!.offset) + 1n : from;
        if (halted) {
          // Stopped at a dead letter: keep what was handled before it, then retry from it.
          await this.storeNext(client, batch, next, handled);
          return { halted };
        }
        await this.storeNext(client, batch, next, handled);
        return handled > 0 ? next : undefined;
      },
      setup ? { setup } : {},
    );
    if (typeof ending !== 'object') return ending;
    if ('halted' in ending) throw ending.halted;
    seek(ending.reseekTo);
    return 'reseek';
  }

  /** Stores this partition's next offset in the batch's transaction (nothing when none was handled). */
  private async storeNext(
    client: pg.PoolClient,
    batch: Batch,
    next: bigint,
    handled: number,
  ): Promise<void> {
    if (handled > 0) {
      await client.query(
        `UPDATE kafka_offsets SET next_offset = $4, events_handled = events_handled + $5, updated_at = now()
            WHERE consumer_name = $1 AND topic = $2 AND partition = $3`,
        [this.consumer.name, batch.topic, batch.partition, next.toString(), handled],
      );
    }
  }

  /**
   * Starts the group's consumer again after a crash kafkajs leaves stopped: the crashed
   * client disconnected, then a new one, 1 s later and doubling to 30 s while starting fails
   * (the brokers still away), until it runs or the subscription stops. Positions come from
   * `kafka_offsets`, so nothing is skipped or applied twice.
   */
  private async restartAfterCrash(crashed: KafkaConsumer): Promise<void> {
    await crashed.disconnect().catch(() => {});
    for (let attempt = 1; !this.stopped; attempt++) {
      await sleep(Math.min(30_000, 1_000 * 2 ** (attempt - 1)));
      if (this.stopped) return;
      try {
        await this.start(true);
        if (this.stopped) await this.consumerClient?.disconnect().catch(() => {});
        return;
      } catch (error) {
        this.settings.log.warn(
          { err: error, consumer: this.consumer.name, attempt },
          'kafka consumer could not start again yet',
        );
        await this.consumerClient?.disconnect().catch(() => {});
      }
    }
  }

  async whenCaughtUp(timeoutMs = 30_000): Promise<void> {
    await this.started;
    const marks = await this.highWatermarks();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stored = await this.storedOffsets();
      const behind = [...marks].filter(
        ([k, m]) => m.high > m.low && (stored.get(k) ?? m.low) < m.high,
      );
      if (behind.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `consumer ${this.consumer.name} did not catch up within ${timeoutMs} ms (${behind.map(([k]) => k).join(', ')})`,
        );
      }
      await sleep(25);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.started.catch(() => {});
    await this.consumerClient?.disconnect().catch(() => {});
  }
}
