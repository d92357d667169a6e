-- Up Migration
ALTER TABLE tenants
  ADD COLUMN daily_quota integer NOT NULL DEFAULT 200,
  ADD COLUMN owner_alert_cap integer NOT NULL DEFAULT 50;
CREATE INDEX outbound_messages_sent_day ON outbound_messages (tenant_id, audience, updated_at)
  WHERE status = 'sent';

-- Down Migration
DROP INDEX outbound_messages_sent_day;
ALTER TABLE tenants DROP COLUMN owner_alert_cap, DROP COLUMN daily_quota;
