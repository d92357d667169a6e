-- Up Migration

-- State the lead-conversation processor keeps per lead (its decide/evolve state),
-- written in the same transaction as its checkpoint. The sender reads `opted_out`
-- at send time.
CREATE TABLE lead_states (
  tenant_id   text NOT NULL,
  phone       text NOT NULL,
  state       jsonb NOT NULL,
  opted_out   boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, phone)
);

-- Outbound intents (design §4). A processor inserts them with a dedupe key derived
-- from their cause; the sender claims them with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE outbound_messages (
  outbox_id        uuid PRIMARY KEY,
  dedupe_key       text NOT NULL UNIQUE,
  tenant_id        text NOT NULL,
  stream_id        text NOT NULL,
  lead_phone       text NOT NULL,
  audience         text NOT NULL CHECK (audience IN ('lead', 'owner')),
  purpose          text NOT NULL,
  -- Replies that carriers require or allow after an opt-out (its confirmation, HELP).
  consent_exempt   boolean NOT NULL DEFAULT false,
  to_number        text NOT NULL,
  from_number      text NOT NULL,
  body             text NOT NULL,
  cause_event_id   uuid NOT NULL,
  correlation_id   text,
  traceparent      text,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'withheld')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  message_sid      text,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_messages_due ON outbound_messages (next_attempt_at)
  WHERE status IN ('pending', 'sending');
CREATE INDEX outbound_messages_lead ON outbound_messages (tenant_id, lead_phone)
  WHERE status = 'pending';

-- Down Migration
DROP TABLE outbound_messages;
DROP TABLE lead_states;
