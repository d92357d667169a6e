-- Up Migration

-- An attempt whose outcome is unknown (timeout, reset or 5xx after the request left) must be
-- reconciled with Twilio's Messages API before any retry; `lease_token` makes every update of
-- a claimed row conditional on still holding the claim.
ALTER TABLE outbound_messages
  ADD COLUMN needs_reconcile boolean NOT NULL DEFAULT false,
  ADD COLUMN lease_token uuid;

-- The consent gate the sender checks at send time, written by whatever records a consent
-- change (the SMS webhook command, the sender on error 21610, status callbacks) as soon as the
-- event is appended, and by the consent-gate projection on replay. It does not wait for any
-- processor, so a STOP stops queued texts even while processors lag.
CREATE TABLE consent_gate (
  tenant_id   text NOT NULL,
  phone       text NOT NULL,
  opted_out   boolean NOT NULL,
  changed_at  timestamptz NOT NULL,
  event_id    uuid NOT NULL,
  PRIMARY KEY (tenant_id, phone)
);

-- Down Migration
DROP TABLE consent_gate;
ALTER TABLE outbound_messages DROP COLUMN lease_token, DROP COLUMN needs_reconcile;
