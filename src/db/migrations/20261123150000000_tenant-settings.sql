-- Up Migration

-- Tenant settings added with issue 4 (weekly hours, evening, closed dates, emergency mode,
-- call screening, review link, owner-alert grouping, quiet hours), as the tenants projection
-- holds them. Missing keys take the defaults in events/catalogue.ts (TENANT_DEFAULTS).
ALTER TABLE tenants ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE tenants DROP COLUMN settings;
