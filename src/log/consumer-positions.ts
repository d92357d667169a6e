import type pg from 'pg';
import type { ReaderHold } from './reader-hold.ts';

/**
 * Where consumers of one log have got to, as operators' tools (projection rebuilds) need it.
 * Positions live in PostgreSQL on both logs (`consumer_checkpoints` for the PostgreSQL log,
 * `kafka_offsets` per partition for Kafka), so each call runs in the caller's transaction.
 */
export interface ConsumerPositions {
  /** Locks `name`'s stored position rows until the transaction ends (its reader waits). */
  lock(db: pg.ClientBase, name: string): Promise<void>;
  /**
   * True when `a` and `b` have handled exactly the same events. With `types` (consumers that
   * act on events of those types only, `Consumer.eventTypes`), on PostgreSQL also when no
   * event of those types lies between their positions, and they are at most 10,000 events
   * apart (a bounded look, for a caller holding locks): what they built is then the same
   * (such a consumer passes over other events lazily, see `PgSubscriptionSettings`). Kafka
   * compares positions exactly.
   */
  same(db: pg.ClientBase, a: string, b: string, types?: ReadonlySet<string>): Promise<boolean>;
  /** Makes `to`'s position `from`'s (keeping `to`'s count of events handled). */
  copy(db: pg.ClientBase, from: string, to: string): Promise<void>;
  /** Forgets `name`'s position: it would next read from the start. */
  forget(db: pg.ClientBase | pg.Pool, name: string): Promise<void>;
  /** Events `name` has handled since its position was last forgotten. */
  handled(db: pg.ClientBase | pg.Pool, name: string): Promise<number>;
  /** `name`'s position for people (PostgreSQL: the global position; Kafka: offsets per partition); null: never ran. */
  describe(db: pg.ClientBase | pg.Pool, name: string): Promise<string | null>;
  /** Events in the log now. */
  total(db: pg.ClientBase | pg.Pool): Promise<number>;
  /**
   * Processes reading as `name` right now (PostgreSQL: the holder of its advisory lock, 0 or
   * 1; Kafka: members of its consumer group). With `db` in a transaction on PostgreSQL, a
   * result of 0 also keeps any reader from starting until the transaction ends.
   */
  activeReaders(db: pg.ClientBase, name: string): Promise<number>;
  /**
   * Makes sure no process reads any of `names` (a restore appends history no worker may read
   * outside replay mode). PostgreSQL: takes each consumer's reader lock on a connection of
   * its own and keeps them until `release`, so no reader can start meanwhile. Kafka: checks
   * that none of their consumer groups has members (it cannot keep one from joining later).
   * @returns busy (naming the reader, in words) when one is reading.
   * @throws Error when the database or the brokers cannot be reached.
   */
  holdReaders(names: readonly string[]): Promise<ReaderHold>;
}
