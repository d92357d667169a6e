/** Where an appended event sits in Kafka. */
export interface KafkaLocation {
  topic: string;
  partition: number;
  /** A bigint, as decimal text. */
  offset: string;
}

/**
 * One append's landing as `kafka_append_landings` stores it: its event ids by topic, partition and offset,
 * and the runs of consecutive offsets they took, in the same order (run `i` holds the next
 * `sizes[i]` ids, at `baseOffsets[i]`, `baseOffsets[i] + 1`, … of `topics[i]` /
 * `partitions[i]`).
 */
export interface LandingRuns {
  eventIds: string[];
  topics: string[];
  partitions: number[];
  /** Bigints, as decimal text. */
  baseOffsets: string[];
  sizes: number[];
}

/**
 * The runs of `locations` (pure): events sorted by topic, partition and offset, and cut into
 * runs of consecutive offsets. One append is one run per partition it wrote to.
 */
export function toRuns(locations: ReadonlyMap<string, KafkaLocation>): LandingRuns {
  const sorted = [...locations].sort(
    ([, a], [, b]) =>
      a.topic.localeCompare(b.topic) ||
      a.partition - b.partition ||
      (BigInt(a.offset) < BigInt(b.offset) ? -1 : BigInt(a.offset) > BigInt(b.offset) ? 1 : 0),
  );
  const runs: LandingRuns = {
    eventIds: [],
    topics: [],
    partitions: [],
    baseOffsets: [],
    sizes: [],
  };
  let next: { topic: string; partition: number; offset: bigint } | undefined;
  for (const [id, at] of sorted) {
    const offset = BigInt(at.offset);
    const continues =
      next !== undefined &&
      next.topic === at.topic &&
      next.partition === at.partition &&
      next.offset === offset;
    if (continues) {
      runs.sizes[runs.sizes.length - 1]! += 1;
    } else {
      runs.topics.push(at.topic);
      runs.partitions.push(at.partition);
      runs.baseOffsets.push(at.offset);
      runs.sizes.push(1);
    }
    runs.eventIds.push(id);
    next = { topic: at.topic, partition: at.partition, offset: offset + 1n };
  }
  return runs;
}

/**
 * Where each event of a landing sits (pure), by event id in lower case: the inverse of
 * {@link toRuns}.
 * @throws Error when the runs do not cover the event ids exactly (a corrupt row).
 */
export function locationsOf(runs: LandingRuns): Map<string, KafkaLocation> {
  const located = new Map<string, KafkaLocation>();
  let i = 0;
  runs.sizes.forEach((size, r) => {
    const base = BigInt(runs.baseOffsets[r]!);
    for (let k = 0; k < size; k++, i++) {
      const id = runs.eventIds[i];
      if (id === undefined) throw new Error('a landing lists fewer events than its runs hold');
      located.set(id.toLowerCase(), {
        topic: runs.topics[r]!,
        partition: runs.partitions[r]!,
        offset: (base + BigInt(k)).toString(),
      });
    }
  });
  if (i !== runs.eventIds.length) throw new Error('a landing lists more events than its runs hold');
  return located;
}
