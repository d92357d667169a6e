-- Up Migration

-- Durable timers (design §7: owner alerts grouped over a window; the emergency menu's
-- timeout). A processor sets a timer in the same transaction as its checkpoint; the timer
-- runner appends `TimerElapsed` to the timer's stream when it falls due, so what happens next
-- is decided by the processor from the log, and a restart inside the window loses nothing.
CREATE TABLE timers (
  timer_id    text PRIMARY KEY,
  tenant_id   text NOT NULL,
  stream_id   text NOT NULL,
  kind        text NOT NULL,
  key         text NOT NULL,
  due_at      timestamptz NOT NULL,
  fired_at    timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;

-- Down Migration
DROP TABLE timers;
