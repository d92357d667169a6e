-- Up Migration
-- Where the Kafka log's appends landed, one row per append instead of an update of every
-- claim row (issue 14: the update cost more than the produce). A claim row of `kafka_appends`
-- now carries the `batch_id` of the append that claimed it; once the append's events are
-- acknowledged, one row here records, for that batch, its events (by topic, partition, offset) and the
-- runs of consecutive offsets they took (topic, partition, first offset, count). A claim row
-- is appended when a landing of its batch lists its event id, or (rows settled before this
-- migration) when its own `state` says `appended`.
ALTER TABLE kafka_appends ADD COLUMN batch_id uuid;
CREATE TABLE kafka_append_landings (
  batch_id      uuid NOT NULL,
  event_ids     uuid[] NOT NULL,
  topics        text[] NOT NULL,
  partitions    integer[] NOT NULL,
  base_offsets  bigint[] NOT NULL,
  sizes         integer[] NOT NULL,
  landed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kafka_append_landings_batch ON kafka_append_landings (batch_id);

-- Down Migration
-- Back to one settled claim row per event: each landing's runs spread over its event ids.
WITH runs AS (
  SELECT l.batch_id, l.event_ids, r.topic, r.partition, r.base, r.size,
         sum(r.size) OVER (PARTITION BY l.ctid ORDER BY r.n) - r.size AS start
    FROM kafka_append_landings l,
         unnest(l.topics, l.partitions, l.base_offsets, l.sizes)
           WITH ORDINALITY AS r(topic, partition, base, size, n)
), landed AS (
  SELECT runs.batch_id, runs.event_ids[runs.start + k] AS event_id, runs.topic,
         runs.partition, runs.base + k - 1 AS off
    FROM runs, generate_series(1, runs.size) AS k
)
UPDATE kafka_appends a
   SET state = 'appended', topic = landed.topic, partition = landed.partition, "offset" = landed.off
  FROM landed
 WHERE a.event_id = landed.event_id AND a.batch_id = landed.batch_id AND a.state = 'producing';
DROP TABLE kafka_append_landings;
ALTER TABLE kafka_appends DROP COLUMN batch_id;
