-- Up Migration
ALTER TABLE tenants ADD COLUMN voicemail_threshold_seconds integer NOT NULL DEFAULT 10;

-- Down Migration
ALTER TABLE tenants DROP COLUMN voicemail_threshold_seconds;
