-- Up Migration

-- A text that is pointless or wrong once late (the one opt-out confirmation, which the FCC
-- requires within 5 minutes) carries the instant after which it is withheld, not sent.
ALTER TABLE outbound_messages ADD COLUMN not_after timestamptz;

-- Down Migration
ALTER TABLE outbound_messages DROP COLUMN not_after;
