-- Up Migration
-- Staff replies relayed through the business number (commands/receive-staff-text.ts).
--
-- Every lead has a short reference its owner alerts carry (`#4821`): 1000 + the first 32 bits
-- of sha256('<tenant_id>:<phone>') mod 9000, the same as rules/lead-ref.ts computes. Stored
-- and indexed so a staff text's `#code` finds its lead without hashing every lead.
ALTER TABLE dashboard_leads ADD COLUMN ref integer GENERATED ALWAYS AS (
  1000 + (('x' || substr(encode(sha256((tenant_id || ':' || phone)::bytea), 'hex'), 1, 8))
    ::bit(32)::bigint % 9000)::integer
) STORED;
CREATE INDEX dashboard_leads_ref ON dashboard_leads (tenant_id, ref);

-- "The lead of the most recent alert sent to this staff phone": owner alerts by recipient.
CREATE INDEX outbound_messages_alerts_to ON outbound_messages (tenant_id, to_number, created_at)
  WHERE audience = 'owner';

-- Down Migration
DROP INDEX outbound_messages_alerts_to;
DROP INDEX dashboard_leads_ref;
ALTER TABLE dashboard_leads DROP COLUMN ref;
