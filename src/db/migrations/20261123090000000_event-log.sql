-- Up Migration

-- The PostgreSQL event log (design §3). Rows are never updated or deleted.
-- Readers order by (epoch, transaction_id, position) and read only rows whose
-- transaction_id is below the oldest transaction still running, so a reader
-- never passes a row that a slower concurrent writer has yet to commit.
CREATE TABLE events (
  position        bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- Bumped when the transaction-id counter is found to have gone backwards
  -- (a pg_dump restore into a new cluster), so order survives the reset.
  epoch           integer NOT NULL,
  event_id        uuid NOT NULL,
  stream_id       text NOT NULL,
  type            text NOT NULL,
  schema_version  integer NOT NULL,
  tenant_id       text,
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  causation_id    uuid,
  correlation_id  text,
  traceparent     text,
  data            jsonb NOT NULL,
  PRIMARY KEY (position),
  CONSTRAINT events_event_id_unique UNIQUE (event_id)
);
CREATE INDEX events_read_order ON events (epoch, transaction_id, position);
CREATE INDEX events_stream ON events (stream_id, epoch, transaction_id, position);
CREATE INDEX events_tenant_type ON events (tenant_id, type);

-- Epochs of the log; see events.epoch.
CREATE TABLE log_epochs (
  epoch       integer PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  reason      text NOT NULL
);
INSERT INTO log_epochs (epoch, reason) VALUES (1, 'created');

-- Where each consumer of the PostgreSQL log has got to. Written in the same
-- transaction as the consumer's own effects.
CREATE TABLE consumer_checkpoints (
  consumer_name     text PRIMARY KEY,
  epoch             integer NOT NULL,
  transaction_id    xid8 NOT NULL,
  position          bigint NOT NULL,
  events_handled    bigint NOT NULL DEFAULT 0,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE consumer_checkpoints;
DROP TABLE log_epochs;
DROP TABLE events;
