-- Up Migration
-- Qualification on the dashboard (issue 16): what the latest assessment of the lead's
-- conversation found (`QualificationAssessed`), settled by `LeadQualified` (qualified = true,
-- outside_area from the tenant's service area). Rebuilt by replaying the log like every
-- dashboard table. `outside_area` is a column of its own for the dashboard's filter.
ALTER TABLE dashboard_leads
  ADD COLUMN qualification jsonb,
  ADD COLUMN outside_area boolean NOT NULL DEFAULT false;
CREATE INDEX dashboard_leads_outside_area ON dashboard_leads (tenant_id, last_contact_at DESC)
  WHERE outside_area;

-- Down Migration
DROP INDEX dashboard_leads_outside_area;
ALTER TABLE dashboard_leads DROP COLUMN qualification, DROP COLUMN outside_area;
