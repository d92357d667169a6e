-- Up Migration

-- The answer given to each inbound call, first one wins: a Twilio retry of the voice webhook
-- (same CallSid) gets the same TwiML even when it lands after a business-hours boundary, so
-- the recorded CallReceived and what the caller heard never disagree.
CREATE TABLE call_answers (
  call_sid     text PRIMARY KEY,
  tenant_id    text NOT NULL,
  action       text NOT NULL,
  answered_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE call_answers;
