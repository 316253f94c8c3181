-- One row per show per inventory snapshot: append-only history.
-- Plain MergeTree: rows are never updated, so nothing needs replacing; monthly partitions keep
-- old history cheap to drop by hand (ALTER TABLE ... DROP PARTITION) if retention is ever wanted.
CREATE TABLE IF NOT EXISTS {database}.inventory_raw
(
    snapshot_at    DateTime('UTC'),
    event_id       UInt64,
    show_id        UInt64,
    show_starts_at Nullable(DateTime('UTC')),
    tickets_total  UInt32,
    tickets_left   UInt32,
    tickets_sold   UInt32
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(snapshot_at)
ORDER BY (event_id, show_id, snapshot_at);
