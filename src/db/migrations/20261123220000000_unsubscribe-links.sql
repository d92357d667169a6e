-- Up Migration

-- One-click unsubscribe links (issue 5): the token is an HMAC over tenant and number, so it
-- cannot be guessed or enumerated and never expires; this table maps a token minted by a
-- sender back to its tenant and number when the link is followed.
CREATE TABLE unsubscribe_links (
  token       text PRIMARY KEY,
  tenant_id   text NOT NULL,
  phone       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE unsubscribe_links;
