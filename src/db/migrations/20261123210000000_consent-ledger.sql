-- Up Migration

-- The consent ledger (issue 5): every ConsentGranted / ConsentRevoked, per tenant, in the
-- order the ledger projection applied them (`seq`, contiguous from 1 per tenant). Each record
-- stores the SHA-256 of its canonical content chained to the previous record of the same
-- tenant (`record_hash = sha256(prev_hash || "\n" || content)`); the head of each tenant's
-- chain is kept apart, so deleting the last record is detected too. `leadline consent verify`
-- recomputes both from the projection and from the log.
CREATE TABLE consent_records (
  tenant_id     text NOT NULL,
  seq           bigint NOT NULL,
  phone         text NOT NULL,
  event_id      uuid NOT NULL UNIQUE,
  log_position  text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('granted', 'revoked')),
  basis         text,
  source        text,
  channel       text,
  text          text,
  evidence      jsonb NOT NULL,
  occurred_at   timestamptz NOT NULL,
  expires_at    timestamptz,
  content       text NOT NULL,
  prev_hash     text NOT NULL,
  record_hash   text NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX consent_records_phone ON consent_records (tenant_id, phone, seq);
CREATE INDEX consent_records_phone_any_tenant ON consent_records (phone);

CREATE TABLE consent_chain_heads (
  tenant_id    text PRIMARY KEY,
  seq          bigint NOT NULL,
  record_hash  text NOT NULL
);

-- Down Migration
DROP TABLE consent_chain_heads;
DROP TABLE consent_records;
