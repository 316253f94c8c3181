-- One row per show of every event the API returns; is_deleted = 1 when the show or its event is
-- deleted. Not in the public contract: it is the list inventory snapshots walk, and it lets
-- fact_inventory_latest keep to live shows without a second crawl of the (heavy) events list.
-- Plain MergeTree: rebuilt whole on every events load (staging table + EXCHANGE TABLES).
CREATE TABLE IF NOT EXISTS {database}.dim_shows
(
    show_id    UInt64,
    event_id   UInt64,
    starts_at  Nullable(DateTime('UTC')),
    ends_at    Nullable(DateTime('UTC')),
    is_active  UInt8,
    is_deleted UInt8,
    updated_at Nullable(DateTime('UTC'))
)
ENGINE = MergeTree
ORDER BY (event_id, show_id);
