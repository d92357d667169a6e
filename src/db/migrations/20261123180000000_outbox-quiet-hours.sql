-- Up Migration

-- Quiet hours (issue 4): solicitations to customers (a review request) wait for daytime in
-- the customer's zone. `respects_quiet_hours` marks them; `deferred_until` is set while one
-- waits (it is pending with next_attempt_at at that instant).
ALTER TABLE outbound_messages
  ADD COLUMN respects_quiet_hours boolean NOT NULL DEFAULT false,
  ADD COLUMN deferred_until timestamptz;

-- Down Migration
ALTER TABLE outbound_messages DROP COLUMN deferred_until, DROP COLUMN respects_quiet_hours;
