-- Up Migration

-- Kafka log: which event ids have been appended, and where (the idempotent-append registry).
-- Kafka itself has no unique key; this table makes a duplicate append report the original
-- position instead of producing again.
CREATE TABLE kafka_appends (
  event_id      uuid PRIMARY KEY,
  stream_id     text NOT NULL,
  topic         text,
  partition     integer,
  "offset"      bigint,
  state         text NOT NULL DEFAULT 'producing' CHECK (state IN ('producing', 'appended')),
  claimed_at    timestamptz NOT NULL DEFAULT now()
);

-- Kafka consumers' positions: the next offset to handle per topic partition, written in the
-- same transaction as the consumer's effects. Kafka's own committed offsets are informational.
CREATE TABLE kafka_offsets (
  consumer_name  text NOT NULL,
  topic          text NOT NULL,
  partition      integer NOT NULL,
  next_offset    bigint NOT NULL,
  events_handled bigint NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_name, topic, partition)
);

-- Down Migration
DROP TABLE kafka_offsets;
DROP TABLE kafka_appends;
