-- Up Migration

-- Restores of a backup into this database (`leadline restore`, issue 7). A restore may only
-- start on an empty log; this row lets the same backup's restore resume after a crash (its
-- appends are idempotent on event id) while any other restore into the non-empty log is
-- refused. `appended_at`: every event is in the log; `finished_at`: every consumer rebuilt.
CREATE TABLE restore_runs (
  backup_id    uuid        PRIMARY KEY,
  file_name    text        NOT NULL,
  source_log   text        NOT NULL,
  events       bigint      NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  appended_at  timestamptz,
  finished_at  timestamptz
);

-- Down Migration
DROP TABLE restore_runs;
