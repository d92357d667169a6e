-- Up Migration

-- Tenants projection: routing of webhooks by the Twilio number called.
CREATE TABLE tenants (
  tenant_id        text PRIMARY KEY,
  name             text NOT NULL,
  twilio_number    text NOT NULL UNIQUE,
  owner_phone      text NOT NULL,
  timezone         text NOT NULL,
  business_hours   jsonb NOT NULL,
  emergency_phone  text,
  registered_at    timestamptz NOT NULL
);

-- Dashboard projection.
CREATE TABLE dashboard_calls (
  tenant_id          text NOT NULL,
  call_sid           text NOT NULL,
  phone              text NOT NULL,
  received_at        timestamptz NOT NULL,
  mode               text NOT NULL,
  outcome            text NOT NULL, -- ringing | answered | missed | after-hours
  dial_call_status   text,
  PRIMARY KEY (tenant_id, call_sid)
);

CREATE TABLE dashboard_leads (
  tenant_id       text NOT NULL,
  phone           text NOT NULL,
  first_seen_at   timestamptz NOT NULL,
  last_contact_at timestamptz NOT NULL,
  calls           integer NOT NULL DEFAULT 0,
  missed_calls    integer NOT NULL DEFAULT 0,
  messages_in     integer NOT NULL DEFAULT 0,
  messages_out    integer NOT NULL DEFAULT 0,
  opted_out       boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, phone)
);

CREATE TABLE dashboard_messages (
  tenant_id     text NOT NULL,
  message_key   text NOT NULL, -- MessageSid for inbound, outbox id for outbound
  direction     text NOT NULL, -- inbound | outbound
  audience      text,          -- lead | owner (outbound)
  purpose       text,
  phone         text NOT NULL, -- the lead's number
  counterpart   text NOT NULL, -- the number the text went to or came from
  body          text NOT NULL,
  status        text NOT NULL,
  message_sid   text,
  error         text,
  at            timestamptz NOT NULL,
  event_position text,   -- the log position (adapter-specific) it came from
  PRIMARY KEY (tenant_id, message_key)
);
CREATE INDEX dashboard_messages_sid ON dashboard_messages (message_sid);

-- Down Migration
DROP TABLE dashboard_messages;
DROP TABLE dashboard_leads;
DROP TABLE dashboard_calls;
DROP TABLE tenants;
