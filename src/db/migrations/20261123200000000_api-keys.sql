-- Up Migration

-- API keys with roles (issue 5): `operator` (everything), `auditor` (read-only consent data
-- across tenants), `tenant` (its own tenant's data only). Only a SHA-256 of each key is
-- stored; the key itself is printed once by `leadline keys create`.
CREATE TABLE api_keys (
  key_id      text PRIMARY KEY,
  role        text NOT NULL CHECK (role IN ('operator', 'auditor', 'tenant')),
  tenant_id   text,
  label       text,
  key_sha256  bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CHECK ((role = 'tenant') = (tenant_id IS NOT NULL))
);

-- Down Migration
DROP TABLE api_keys;
