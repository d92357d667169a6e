-- Up Migration

-- `dashboard_leads.ref` (a lead's short reference, rules/lead-ref.ts) was a STORED generated
-- column: PostgreSQL computed it again, sha256 and all, on every update of the row, and a
-- lead's row is updated on every contact. On PostgreSQL 18 that made an upsert of existing
-- leads 2.5 times as slow (10,000 rows: 253 ms against 97-104 ms without the column; on 15,
-- 120-130 against 98 ms), and a dashboard rebuild spends most of its time there. The column
-- keeps its values and index and becomes a plain one: the projection computes the reference
-- when it makes a lead's row (rules/lead-ref.ts, the same value) and writes it with the row.
ALTER TABLE dashboard_leads ALTER COLUMN ref DROP EXPRESSION;

-- A dashboard rebuild paused before this migration resumes into its own copy of the table,
-- which has the generated column too, unless it was paused before the column existed (it
-- then never gets one, as before).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_attribute
              WHERE attrelid = to_regclass('rebuild_dashboard.dashboard_leads')
                AND attname = 'ref' AND attgenerated = 's' AND NOT attisdropped) THEN
    ALTER TABLE rebuild_dashboard.dashboard_leads ALTER COLUMN ref DROP EXPRESSION;
  END IF;
END $$;

-- A worker of the previous version still running during an upgrade inserts leads without a
-- reference (NULL): the projection writes it at that lead's next event (`loadDashboardRows`).

-- Down Migration
DROP INDEX dashboard_leads_ref;
ALTER TABLE dashboard_leads DROP COLUMN ref;
ALTER TABLE dashboard_leads ADD COLUMN ref integer GENERATED ALWAYS AS (
  1000 + (('x' || substr(encode(sha256((tenant_id || ':' || phone)::bytea), 'hex'), 1, 8))
    ::bit(32)::bigint % 9000)::integer
) STORED;
CREATE INDEX dashboard_leads_ref ON dashboard_leads (tenant_id, ref);
