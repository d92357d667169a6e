-- Up Migration

-- Issue 6: what the owner's dashboard shows of a lead: its status (changed by the owner:
-- contacted, booked, lost), the urgency of its latest text (intent), and, per call, when the
-- first text answered a missed call (response time).
ALTER TABLE dashboard_leads
  ADD COLUMN status text NOT NULL DEFAULT 'new',
  ADD COLUMN status_changed_at timestamptz,
  ADD COLUMN intent text,
  ADD COLUMN emergencies integer NOT NULL DEFAULT 0;
ALTER TABLE dashboard_calls ADD COLUMN first_text_at timestamptz;
ALTER TABLE dashboard_messages ADD COLUMN urgency text;
CREATE INDEX dashboard_leads_recent ON dashboard_leads (tenant_id, last_contact_at DESC, phone);
CREATE INDEX dashboard_calls_received ON dashboard_calls (tenant_id, received_at);
CREATE INDEX dashboard_messages_at ON dashboard_messages (tenant_id, at);
-- A lead's timeline and the funnel's "did they reply" look texts and calls up by number.
CREATE INDEX dashboard_messages_lead ON dashboard_messages (tenant_id, phone, at);
CREATE INDEX dashboard_calls_lead ON dashboard_calls (tenant_id, phone);

-- Down Migration
DROP INDEX dashboard_calls_lead;
DROP INDEX dashboard_messages_lead;
DROP INDEX dashboard_messages_at;
DROP INDEX dashboard_calls_received;
DROP INDEX dashboard_leads_recent;
ALTER TABLE dashboard_messages DROP COLUMN urgency;
ALTER TABLE dashboard_calls DROP COLUMN first_text_at;
ALTER TABLE dashboard_leads DROP COLUMN emergencies, DROP COLUMN intent,
  DROP COLUMN status_changed_at, DROP COLUMN status;
