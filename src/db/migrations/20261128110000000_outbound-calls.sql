-- Up Migration
-- Call-backs through the business number (POST /api/v1/leads/{phone}/call). The
-- lead-conversation processor inserts one row per `CallBackRequested`, in the transaction of
-- its checkpoint (never in replay); the call placer (outbound/call-placer.ts) claims rows with
-- FOR UPDATE SKIP LOCKED and a lease, asks Twilio's Calls API to ring the staff phone (who
-- presses 1 to dial the lead from the business number: /twilio/voice/call-back), stores the
-- CallSid, then appends `CallBackPlaced` or `CallBackFailed`.
CREATE TABLE outbound_calls (
  callback_id      text PRIMARY KEY,
  tenant_id        text NOT NULL,
  stream_id        text NOT NULL,
  lead_phone       text NOT NULL,
  staff_phone      text NOT NULL,
  from_number      text NOT NULL,
  cause_event_id   uuid NOT NULL,
  traceparent      text,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'placing', 'placed', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  call_sid         text,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_calls_due ON outbound_calls (next_attempt_at)
  WHERE status IN ('pending', 'placing');
-- A lead's timeline lists its call-backs.
CREATE INDEX outbound_calls_lead ON outbound_calls (tenant_id, lead_phone);

-- Down Migration
DROP TABLE outbound_calls;
