-- Up Migration

-- A restore replays every consumer into empty read models, then serves them. Indexes only
-- readers use (`ConsumerSpec.readerIndexes`) are dropped for the replay and built once at its
-- end, as a projection rebuild does; their definitions are kept here meanwhile, in the same
-- transaction that drops them, so a restore interrupted in between builds them when resumed.
-- NULL: none deferred.
ALTER TABLE restore_runs ADD COLUMN deferred_indexes text[];

-- Down Migration
ALTER TABLE restore_runs DROP COLUMN deferred_indexes;
