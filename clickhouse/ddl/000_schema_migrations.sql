-- The migration runner's own ledger: one row per applied DDL file.
-- MergeTree (not Replacing): the runner inserts each file once, under the connection's lock,
-- and a second row for a name would be a bug worth seeing rather than merging away.
CREATE TABLE IF NOT EXISTS {database}.schema_migrations
(
    name       String,
    checksum   String,
    applied_at DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY name;
