-- Up Migration

-- The work queues (texts, call-backs, qualification requests, timers) are claimed with
-- `FOR UPDATE SKIP LOCKED` through partial indexes on what is still due (`status IN
-- ('pending', 'sending')`, `fired_at IS NULL`, …). Each row leaves that index as it is
-- claimed and finished, but its old index entries stay until VACUUM removes them, and a
-- claim read through a bitmap scan visits every one of them each time. With the default
-- autovacuum thresholds (20% of the table dead) a table of a million texts is vacuumed only
-- after some 200,000 dead rows: measured on 12,000 texts sent without a vacuum (PostgreSQL
-- 15), the sender's claim of 2 due texts read 24,002 index entries and 670 heap pages,
-- 1.6 ms on an idle server against 0.2 ms after a vacuum, and 5-7 ms under load. Vacuum these
-- tables after a fixed number of dead rows instead, whatever their size, as is usual for
-- queue tables: what a claim reads stays bounded by the recent churn.
ALTER TABLE outbound_messages SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);
ALTER TABLE outbound_calls SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);
ALTER TABLE qualification_requests SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);
ALTER TABLE timers SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);

-- Down Migration
ALTER TABLE timers RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE qualification_requests RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE outbound_calls RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE outbound_messages RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
