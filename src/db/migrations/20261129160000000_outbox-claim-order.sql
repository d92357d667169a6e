-- Up Migration

-- The sender claims the due texts that go first (`rules/send-order.ts`: a caller's first
-- answer after a missed call, the replies carriers require at once), then the longest
-- waiting. It ordered by `purpose = ANY(<those purposes>)`, which no index can give, so every
-- claim read all of `outbound_messages_due` through a bitmap scan and sorted it; a bitmap scan
-- also never marks the index entries of rows already sent as dead, so it read every one of
-- them again until VACUUM removed them. With the order a column of the row (`send_first`, set
-- when the text is queued) and an index in exactly that order, a claim reads the index in
-- order and stops at the first due rows it can lock, marking dead entries as it passes.
ALTER TABLE outbound_messages ADD COLUMN send_first boolean NOT NULL DEFAULT false;
-- Texts still waiting keep their place: the purposes `rules/send-order.ts` names today.
UPDATE outbound_messages SET send_first = true
 WHERE status IN ('pending', 'sending')
   AND purpose IN ('missed-call-text', 'opt-out-confirmation', 'opt-in-confirmation', 'help',
                   'staff-reply', 'relay-refused', 'relay-help');
CREATE INDEX outbound_messages_claim ON outbound_messages (send_first DESC, next_attempt_at)
  WHERE status IN ('pending', 'sending');
DROP INDEX outbound_messages_due;

-- Down Migration
CREATE INDEX outbound_messages_due ON outbound_messages (next_attempt_at)
  WHERE status IN ('pending', 'sending');
DROP INDEX outbound_messages_claim;
ALTER TABLE outbound_messages DROP COLUMN send_first;
