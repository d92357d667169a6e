import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { locationsOf, toRuns, type KafkaLocation, type LandingRuns } from './landing-runs.ts';

export type { KafkaLocation } from './landing-runs.ts';

/** Landing rows written by one statement (6 parameters each). */
const LANDINGS_PER_STATEMENT = 1_000;

/** An event this process produced: where it landed, and the batch its claim row names. */
export interface OwnLanding {
  at: KafkaLocation;
  batchId: string;
}

/** The outcome of claiming ids before producing them. */
export interface Claims {
  /**
   * Ids this caller must produce (newly claimed, or taken over from a stalled claim), each
   * with the batch its landing is to be recorded under (see {@link AppendRegistry.settle}).
   */
  toProduce: Map<string, string>;
  /** Ids already appended, with where they sit. */
  appended: Map<string, KafkaLocation>;
}

/** What the registry holds about one claimed id. */
interface Found {
  batchId: string | null;
  /** Where it landed; null while no landing of its batch lists it. */
  at: KafkaLocation | null;
}

/**
 * The idempotent-append registry of the Kafka log. Kafka has no unique key, so a duplicate
 * append is detected here: the first caller claims an event id (a row of `kafka_appends`,
 * naming the caller's batch) and produces it; once the brokers acknowledge, one row of
 * `kafka_append_landings` records where the whole batch landed (see `landing-runs.ts`). A
 * concurrent caller waits for that landing and reports the original position. A claim with
 * no landing past `stallMs` (its producer died between claiming and recording) is taken over
 * and produced again, its landing recorded under the same batch: the log is then
 * at-least-once, and consumers' effects are keyed by event id or dedupe key, so the copy is
 * harmless.
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
    /** Ids of claim batches (random UUIDs unless a test injects them). */
    private readonly newBatchId: () => string = randomUUID,
  ) {}

  /**
   * Claims `events`' ids, in one statement when none is claimed already; waits for claims
   * held by concurrent appenders.
   *
   * `ownOutcome(id)` tells about a claim this process made itself whose landing has not been
   * recorded in the registry (its append gave up, or the registry was unreachable when it
   * settled or released): a promise of where the event landed, or null when its produce failed.
   * Such a claim is waited for in memory rather than for `stallMs`: landed → reported as
   * appended (its own append's background write records the landing); failed → claimed
   * afresh (its row was released) or taken over (its row is still there), and produced by
   * this caller; an id another append has settled meanwhile is reported as appended.
   * @throws whatever the database throws.
   */
  async claim(
    events: Array<{ id: string; streamId: string }>,
    ownOutcome: (id: string) => Promise<OwnLanding | null> | undefined = () => undefined,
  ): Promise<Claims> {
    const batchId = this.newBatchId();
    const toProduce = new Map<string, string>();
    for (const id of await this.insertClaims(events, batchId)) toProduce.set(id, batchId);
    const appended = new Map<string, KafkaLocation>();
    let pending = events.map((e) => e.id).filter((id) => !toProduce.has(id));
    const landed = new Map<string, OwnLanding>();
    const failed: string[] = [];
    for (const id of pending) {
      const own = ownOutcome(id);
      if (!own) continue;
      const outcome = await own;
      if (outcome) landed.set(id, outcome);
      else failed.push(id);
    }
    if (failed.length > 0) {
      const again = await this.insertClaims(
        events.filter((e) => failed.includes(e.id)),
        batchId,
      );
      for (const id of again) toProduce.set(id, batchId);
      const found = await this.find(failed.filter((id) => !toProduce.has(id)));
      for (const [id, { at, batchId: claimedIn }] of found) {
        if (at) appended.set(id, at);
        else toProduce.set(id, claimedIn ?? (await this.adopt(id, batchId)));
      }
    }
    // Landed, as this process knows: the append that produced them records the landing (its
    // background write retries until it lands), so it is not written twice here.
    for (const [id, l] of landed) appended.set(id, l.at);
    pending = pending.filter((id) => !toProduce.has(id) && !appended.has(id));
    const deadline = Date.now() + this.stallMs;
    while (pending.length > 0) {
      const found = await this.find(pending);
      for (const [id, { at }] of found) if (at) appended.set(id, at);
      // A claim released meanwhile (its produce failed): claimed afresh here.
      const released = pending.filter((id) => !found.has(id));
      if (released.length > 0) {
        const again = await this.insertClaims(
          events.filter((e) => released.includes(e.id)),
          batchId,
        );
        for (const id of again) toProduce.set(id, batchId);
      }
      pending = pending.filter((id) => !appended.has(id) && !toProduce.has(id));
      if (pending.length === 0) break;
      if (Date.now() > deadline) {
        for (const id of pending) {
          toProduce.set(id, found.get(id)?.batchId ?? (await this.adopt(id, batchId)));
        }
        break;
      }
      await sleep(10);
    }
    return { toProduce, appended };
  }

  /** Inserts claim rows in `batchId`. @returns the ids claimed now (not claimed before). */
  private async insertClaims(
    events: Array<{ id: string; streamId: string }>,
    batchId: string,
  ): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // Prepared once per connection: every append runs it, and PostgreSQL's parse and plan
    // cost as much as the insert (0.31 → 0.19 ms a claim of one id, embedded PostgreSQL 18).
    const { rows } = await this.pool.query<{ event_id: string }>({
      name: 'leadline-kafka-claim',
      text: `INSERT INTO kafka_appends (event_id, stream_id, batch_id)
       SELECT e.id, e.stream, $3::uuid FROM unnest($1::uuid[], $2::text[]) AS e(id, stream)
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      values: [events.map((e) => e.id), events.map((e) => e.streamId), batchId],
    });
    const claimed = new Set(rows.map((r) => r.event_id));
    // Report the caller's spelling of each id (PostgreSQL returns the canonical one).
    return new Set(events.map((e) => e.id).filter((id) => claimed.has(id.toLowerCase())));
  }

  /**
   * Gives a claim made before landings were recorded by batch (no `batch_id`) the batch of
   * whoever takes it over, so its landing can be found. @returns the claim's batch.
   */
  private async adopt(id: string, batchId: string): Promise<string> {
    const { rows } = await this.pool.query<{ batch_id: string }>(
      `UPDATE kafka_appends SET batch_id = COALESCE(batch_id, $2::uuid) WHERE event_id = $1
       RETURNING batch_id`,
      [id, batchId],
    );
    return rows[0]?.batch_id ?? batchId;
  }

  /**
   * What the registry holds about `ids`: each claimed id's batch and, once a landing of that
   * batch lists it (or its row was settled before landings), where it landed: the first
   * landing recorded, so a copy produced by a takeover never changes the answer. An id with
   * no claim row is absent.
   * @throws Error when a landing row is corrupt (see `locationsOf`); whatever the database
   *   throws.
   */
  private async find(ids: string[]): Promise<Map<string, Found>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query<{
      event_id: string;
      batch_id: string | null;
      state: string;
      topic: string | null;
      partition: number | null;
      offset: string | null;
      event_ids: string[] | null;
      topics: string[] | null;
      partitions: number[] | null;
      base_offsets: string[] | null;
      sizes: number[] | null;
    }>(
      `SELECT a.event_id, a.batch_id, a.state, a.topic, a.partition, a."offset",
              l.event_ids, l.topics, l.partitions, l.base_offsets, l.sizes
         FROM kafka_appends a
         LEFT JOIN LATERAL (SELECT * FROM kafka_append_landings l
                             WHERE l.batch_id = a.batch_id AND a.event_id = ANY (l.event_ids)
                             ORDER BY l.landed_at LIMIT 1) l ON true
        WHERE a.event_id = ANY ($1::uuid[])`,
      [ids],
    );
    const byCanonical = new Map(ids.map((id) => [id.toLowerCase(), id]));
    const found = new Map<string, Found>();
    for (const row of rows) {
      const id = byCanonical.get(row.event_id) ?? row.event_id;
      let at: KafkaLocation | null = null;
      if (row.state === 'appended' && row.topic !== null && row.partition !== null) {
        at = { topic: row.topic, partition: row.partition, offset: row.offset! };
      } else if (row.event_ids) {
        const runs: LandingRuns = {
          eventIds: row.event_ids,
          topics: row.topics!,
          partitions: row.partitions!,
          baseOffsets: row.base_offsets!,
          sizes: row.sizes!,
        };
        at = locationsOf(runs).get(row.event_id) ?? null;
      }
      found.set(id, { batchId: row.batch_id, at });
    }
    return found;
  }

  /** Settlements waiting for the next write, with whoever waits for each. */
  private pendingSettles: Array<{
    locations: Map<string, KafkaLocation>;
    batchOf: ReadonlyMap<string, string>;
    done: () => void;
  }> = [];
  private settling: Promise<void> | undefined;
  /** Set by {@link close}: a failed write is dropped rather than retried. */
  private givingUp = false;

  /**
   * Records where produced events landed, in the background: settlements of appends made
   * meanwhile go together in one statement, so an append does not wait for it (its caller's
   * events are already durable in Kafka; until the landing is recorded, this process answers
   * a repeat of those ids from memory, and another process waits for it). A failed write is
   * tried again (1 s apart) until it lands or {@link close} gives up.
   * @param batchOf each id's batch, as {@link Claims.toProduce} gave it
   * @returns a promise that resolves once these locations are recorded.
   */
  settleSoon(
    locations: Map<string, KafkaLocation>,
    batchOf: ReadonlyMap<string, string>,
  ): Promise<void> {
    return new Promise((done) => {
      this.pendingSettles.push({ locations, batchOf, done });
      this.settling ??= this.writeSettlements();
    });
  }

  /**
   * For closing: writes what waits to be settled once more, dropping it if that fails (the
   * claims stay without a landing and are taken over after the stall bound, as for a process
   * that died). From then on no failed write is retried.
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
      const batchOf = new Map<string, string>();
      for (const settlement of batch) {
        for (const [id, at] of settlement.locations) {
          all.set(id, at);
          batchOf.set(id, settlement.batchOf.get(id)!);
        }
      }
      try {
        await this.settle(all, batchOf);
        for (const { done } of batch) done();
      } catch {
        if (this.givingUp) break;
        this.pendingSettles.unshift(...batch);
        await sleep(1_000);
      }
    }
    this.settling = undefined;
  }

  /**
   * Records where produced events landed: one `kafka_append_landings` row per batch, in one
   * statement per {@link LANDINGS_PER_STATEMENT} batches (a backlog of settlements stays
   * under PostgreSQL's 65,535 parameters a statement). Two processes landing the same claim
   * (a takeover) each record theirs; readers take the first.
   * @param batchOf each id's batch (every id of `locations` must have one)
   * @throws whatever the database throws.
   */
  async settle(
    locations: ReadonlyMap<string, KafkaLocation>,
    batchOf: ReadonlyMap<string, string>,
  ): Promise<void> {
    if (locations.size === 0) return;
    const perBatch = new Map<string, Map<string, KafkaLocation>>();
    for (const [id, at] of locations) {
      const batchId = batchOf.get(id);
      if (!batchId) throw new Error(`no batch for event ${id}`);
      const group = perBatch.get(batchId) ?? new Map<string, KafkaLocation>();
      group.set(id, at);
      perBatch.set(batchId, group);
    }
    const batches = [...perBatch];
    for (let from = 0; from < batches.length; from += LANDINGS_PER_STATEMENT) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (const [batchId, group] of batches.slice(from, from + LANDINGS_PER_STATEMENT)) {
        const runs = toRuns(group);
        const n = values.length;
        tuples.push(
          `($${n + 1}::uuid, $${n + 2}::uuid[], $${n + 3}::text[], $${n + 4}::int[], $${n + 5}::bigint[], $${n + 6}::int[])`,
        );
        values.push(
          batchId,
          runs.eventIds,
          runs.topics,
          runs.partitions,
          runs.baseOffsets,
          runs.sizes,
        );
      }
      // One landing (an append alone) is the usual case: prepared, as the claim is.
      await this.pool.query({
        ...(tuples.length === 1 && { name: 'leadline-kafka-settle-one' }),
        text: `INSERT INTO kafka_append_landings (batch_id, event_ids, topics, partitions, base_offsets, sizes)
         VALUES ${tuples.join(', ')}`,
        values,
      });
    }
  }

  /**
   * Releases claims whose produce failed, so a retry can claim them afresh: rows with no
   * landing (a takeover by another process may have landed them meanwhile).
   * @throws whatever the database throws.
   */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `DELETE FROM kafka_appends a
        WHERE a.event_id = ANY ($1::uuid[]) AND a.state = 'producing'
          AND NOT EXISTS (SELECT 1 FROM kafka_append_landings l
                           WHERE l.batch_id = a.batch_id AND a.event_id = ANY (l.event_ids))`,
      [ids],
    );
  }
}
