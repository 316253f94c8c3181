-- One row per live show from the newest snapshot.
-- Plain MergeTree: the table is rebuilt whole on every load into a staging copy and swapped in
-- with EXCHANGE TABLES (atomic), so it never holds two versions of a show and needs no FINAL.
CREATE TABLE IF NOT EXISTS {database}.fact_inventory_latest
(
    event_id       UInt64,
    show_id        UInt64,
    show_starts_at Nullable(DateTime('UTC')),
    tickets_total  UInt32,
    tickets_left   UInt32,
    tickets_sold   UInt32,
    snapshot_at    DateTime('UTC')
)
ENGINE = MergeTree
ORDER BY (event_id, show_id);
