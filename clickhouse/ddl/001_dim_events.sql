-- One row per event the API returns, deleted events flagged (is_deleted = 1), never removed.
-- Rebuilt whole on every events load (staging table + EXCHANGE TABLES), so a plain SELECT shows
-- one row per event. ReplacingMergeTree(updated_at) keeps that true should it ever be upserted,
-- and v_sales_dashboard reads it with FINAL so it is exact whatever the state of merges.
CREATE TABLE IF NOT EXISTS {database}.dim_events
(
    event_id      UInt64,
    event_name    String,
    city_id       UInt64,
    city_name     LowCardinality(String),
    city_timezone LowCardinality(String),
    venue_name    String,
    venue_address String,
    starts_at     Nullable(DateTime('UTC')),
    ends_at       Nullable(DateTime('UTC')),
    is_active     UInt8,
    is_deleted    UInt8,
    updated_at    DateTime('UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY event_id;
