import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where an appended event sits in Kafka. */
export interface KafkaLocation {
  topic: string;
  partition: number;
  offset: string;
}

/** The outcome of claiming ids before producing them. */
export interface Claims {
  /** Ids this caller must produce (newly claimed, or taken over from a stalled claim). */
  toProduce: Set<string>;
  /** Ids already appended, with where they sit. */
  appended: Map<string, KafkaLocation>;
}

/**
 * The idempotent-append registry of the Kafka log (`kafka_appends`). Kafka has no unique key,
 * so a duplicate append is detected here: the first caller claims an event id and produces
 * it; a concurrent caller waits for that claim to settle and reports the original position.
 * A claim that stays unsettled past `stallMs` (its producer died between claiming and
 * recording) is taken over and produced again: the log is then at-least-once, and consumers'
 * effects are keyed by event id or dedupe key, so the copy is harmless.
 */
export class AppendRegistry {
  constructor(
    private readonly pool: pg.Pool,
    /**
     * How long (ms) a claim may stay unsettled before another appender takes it over: longer
     * than the producer's own retries (5, backoff from 100 ms doubling: about 3 s of waits,
     * see `KafkaEventLog.open`), short enough that a process killed between claiming and
     * producing holds up the next append of those ids (a recovered send, a drained spool)
     * for seconds, not a minute.
     */
    private readonly stallMs = 20_000,
  ) {}

  /**
   * Claims `events`' ids; waits for claims held by concurrent appenders.
   *
   * `ownOutcome(id)` tells about a claim this process made itself whose produce has not been
   * settled in the registry (its append gave up, or the registry was unreachable when it
   * settled or released): a promise of where the event landed, or null when its produce failed.
   * Such a claim is waited for in memory rather than for `stallMs`: landed → settled here and
   * reported as appended; failed → claimed afresh (its row was released) or taken over (its
   * row is still `producing`), and produced by this caller; an id another append has settled
   * meanwhile is waited for like any other.
   */
  async claim(
    events: Array<{ id: string; streamId: string }>,
    ownOutcome: (id: string) => Promise<KafkaLocation | null> | undefined = () => undefined,
  ): Promise<Claims> {
    const { rows } = await this.pool.query<{ event_id: string }>(
      `INSERT INTO kafka_appends (event_id, stream_id)
       SELECT * FROM unnest($1::uuid[], $2::text[])
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [events.map((e) => e.id), events.map((e) => e.streamId)],
    );
    const toProduce = new Set(rows.map((r) => r.event_id));
    const appended = new Map<string, KafkaLocation>();
    let pending = events.map((e) => e.id).filter((id) => !toProduce.has(id));
    const landed = new Map<string, KafkaLocation>();
    const failed: string[] = [];
    for (const id of pending) {
      const own = ownOutcome(id);
      if (!own) continue;
      const at = await own;
      if (at) landed.set(id, at);
      else failed.push(id);
    }
    for (const id of await this.reclaim(failed, events)) toProduce.add(id);
    if (landed.size > 0) {
      await this.settle(landed);
      for (const [id, at] of landed) appended.set(id, at);
    }
    pending = pending.filter((id) => !toProduce.has(id) && !appended.has(id));
    const deadline = Date.now() + this.stallMs;
    while (pending.length > 0) {
      const found = await this.pool.query<{
        event_id: string;
        state: string;
        topic: string;
        partition: number;
        offset: string;
      }>(
        `SELECT event_id, state, topic, partition, "offset" FROM kafka_appends WHERE event_id = ANY($1::uuid[])`,
        [pending],
      );
      for (const row of found.rows) {
        if (row.state === 'appended') {
          appended.set(row.event_id, {
            topic: row.topic,
            partition: row.partition,
            offset: row.offset,
          });
        }
      }
      pending = pending.filter((id) => !appended.has(id));
      if (pending.length === 0) break;
      if (Date.now() > deadline) {
        for (const id of pending) toProduce.add(id);
        break;
      }
      await sleep(10);
    }
    return { toProduce, appended };
  }

  /**
   * Claims again ids whose own produce failed: afresh where the failed append released its
   * row; where the row is still `producing` (the release did not reach the registry), it is
   * this process's own failed claim, taken over. Two appends of the same ids in one process
   * that both saw the failure may both produce: a copy, harmless (at-least-once, see above).
   * @returns the ids this caller now holds.
   */
  private async reclaim(
    ids: string[],
    events: Array<{ id: string; streamId: string }>,
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const streams = ids.map((id) => events.find((e) => e.id === id)!.streamId);
    await this.pool.query(
      `INSERT INTO kafka_appends (event_id, stream_id)
       SELECT * FROM unnest($1::uuid[], $2::text[])
       ON CONFLICT (event_id) DO NOTHING`,
      [ids, streams],
    );
    const { rows } = await this.pool.query<{ event_id: string }>(
      `SELECT event_id FROM kafka_appends WHERE event_id = ANY($1::uuid[]) AND state = 'producing'`,
      [ids],
    );
    return rows.map((r) => r.event_id);
  }

  /** Settlements waiting for the next write, with whoever waits for each. */
  private pendingSettles: Array<{
    locations: Map<string, KafkaLocation>;
    done: () => void;
  }> = [];
  private settling: Promise<void> | undefined;
  /** Set by {@link close}: a failed write is dropped rather than retried. */
  private givingUp = false;

  /**
   * Records where produced events landed, in the background: settlements of appends made
   * meanwhile go together in one statement, so an append does not wait for it (its caller's
   * events are already durable in Kafka; until the row says `appended`, this process answers
   * a repeat of those ids from memory, and another process waits for the settlement). A
   * failed write is tried again (1 s apart) until it lands or {@link close} gives up.
   * @returns a promise that resolves once these locations are recorded.
   */
  settleSoon(locations: Map<string, KafkaLocation>): Promise<void> {
    return new Promise((done) => {
      this.pendingSettles.push({ locations, done });
      this.settling ??= this.writeSettlements();
    });
  }

  /**
   * For closing: writes what waits to be settled once more, dropping it if that fails (the
   * claims stay `producing` and are taken over after the stall bound, as for a process that
   * died). From then on no failed write is retried.
   */
  async close(): Promise<void> {
    this.givingUp = true;
    await this.settling;
    if (this.pendingSettles.length === 0) return;
    this.settling = this.writeSettlements();
    await this.settling;
  }

  private async writeSettlements(): Promise<void> {
    await Promise.resolve(); // let appends finishing in this tick join
    while (this.pendingSettles.length > 0) {
      const batch = this.pendingSettles;
      this.pendingSettles = [];
      const all = new Map<string, KafkaLocation>();
      for (const { locations } of batch) for (const [id, at] of locations) all.set(id, at);
      try {
        await this.settle(all);
        for (const { done } of batch) done();
      } catch {
        if (this.givingUp) break;
        this.pendingSettles.unshift(...batch);
        await sleep(1_000);
      }
    }
    this.settling = undefined;
  }

  /** Records where produced events landed. */
  async settle(locations: Map<string, KafkaLocation>): Promise<void> {
    if (locations.size === 0) return;
    const ids = [...locations.keys()];
    const at = ids.map((id) => locations.get(id)!);
    await this.pool.query(
      `UPDATE kafka_appends a SET state = 'appended', topic = l.topic, partition = l.partition, "offset" = l.off
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[]) AS l(event_id, topic, partition, off)
        WHERE a.event_id = l.event_id`,
      [ids, at.map((l) => l.topic), at.map((l) => l.partition), at.map((l) => l.offset)],
    );
  }

  /** Releases claims whose produce failed, so a retry can claim them afresh. */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `DELETE FROM kafka_appends WHERE event_id = ANY($1::uuid[]) AND state = 'producing'`,
      [ids],
    );
  }
}
