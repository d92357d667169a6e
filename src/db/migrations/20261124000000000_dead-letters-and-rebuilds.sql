-- Up Migration
-- Poison events (issue 7): an event a consumer failed to handle LEADLINE_CONSUMER_MAX_ATTEMPTS
-- times. Projections stop at it (policy 'stop'); processors park its stream (policy 'park')
-- while other streams go on.
CREATE TABLE dead_letters (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer_name  text        NOT NULL,
  policy         text        NOT NULL CHECK (policy IN ('stop', 'park')),
  event_id       uuid        NOT NULL,
  stream_id      text        NOT NULL,
  event_type     text        NOT NULL,
  log_position   text        NOT NULL,
  event          jsonb       NOT NULL,
  error          text        NOT NULL,
  attempts       integer     NOT NULL,
  status         text        NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'retry-requested', 'skip-requested', 'resolved', 'skipped')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  UNIQUE (consumer_name, event_id)
);
CREATE INDEX dead_letters_open ON dead_letters (consumer_name) WHERE status NOT IN ('resolved', 'skipped');

-- A stream a processor parked behind a dead letter, and the events waiting behind it in order.
CREATE TABLE parked_streams (
  consumer_name  text        NOT NULL,
  stream_id      text        NOT NULL,
  dead_letter_id bigint      NOT NULL REFERENCES dead_letters (id),
  parked_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_name, stream_id)
);
CREATE TABLE parked_events (
  seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer_name  text        NOT NULL,
  stream_id      text        NOT NULL,
  event_id       uuid        NOT NULL,
  event          jsonb       NOT NULL,
  parked_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consumer_name, event_id)
);
CREATE INDEX parked_events_stream ON parked_events (consumer_name, stream_id, seq);

-- Which version of each read model serves readers, and rebuilds under way.
CREATE TABLE projection_versions (
  consumer_name  text        PRIMARY KEY,
  version        integer     NOT NULL,
  switched_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE projection_rebuilds (
  consumer_name  text        PRIMARY KEY,
  version        integer     NOT NULL,
  schema_name    text        NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  caught_up_at   timestamptz
);

-- Down Migration
DROP TABLE projection_rebuilds;
DROP TABLE projection_versions;
DROP TABLE parked_events;
DROP TABLE parked_streams;
DROP TABLE dead_letters;
