import type pg from 'pg';

/**
 * Where consumers of one log have got to, as operators' tools (projection rebuilds) need it.
 * Positions live in PostgreSQL on both logs (`consumer_checkpoints` for the PostgreSQL log,
 * `kafka_offsets` per partition for Kafka), so each call runs in the caller's transaction.
 */
export interface ConsumerPositions {
  /** Locks `name`'s stored position rows until the transaction ends (its reader waits). */
  lock(db: pg.ClientBase, name: string): Promise<void>;
  /** True when `a` and `b` have handled exactly the same events. */
  same(db: pg.ClientBase, a: string, b: string): Promise<boolean>;
  /** Makes `to`'s position `from`'s (keeping `to`'s count of events handled). */
  copy(db: pg.ClientBase, from: string, to: string): Promise<void>;
  /** Forgets `name`'s position: it would next read from the start. */
  forget(db: pg.ClientBase | pg.Pool, name: string): Promise<void>;
  /** Events `name` has handled since its position was last forgotten. */
  handled(db: pg.ClientBase | pg.Pool, name: string): Promise<number>;
  /** `name`'s position for people (PostgreSQL: the global position; Kafka: offsets per partition); null: never ran. */
  describe(db: pg.ClientBase | pg.Pool, name: string): Promise<string | null>;
  /**
   * Kafka only: the broker's high-water mark of every partition, by `topic/partition`: the
   * true head of the log, whoever produced to it.
   */
  heads?(): Promise<Map<string, bigint>>;
  /** Events in the log now. */
  total(db: pg.ClientBase | pg.Pool): Promise<number>;
  /**
   * Processes reading as `name` right now (PostgreSQL: the holder of its advisory lock, 0 or
   * 1; Kafka: members of its consumer group). With `db` in a transaction on PostgreSQL, a
   * result of 0 also keeps any reader from starting until the transaction ends.
   */
  activeReaders(db: pg.ClientBase, name: string): Promise<number>;
}
