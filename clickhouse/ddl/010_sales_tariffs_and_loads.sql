-- Issue 22 ("no traps for analysts"):
-- - days_before_show leaves fact_sales: a stored copy went stale when a show was postponed (its
--   tickets kept the old figure while v_sales_daily had the new one). v_sales and v_sales_daily
--   derive it from the show's current start (dim_shows), so the mart holds one answer.
-- - tariff_name and zone_name: ticket_name mixes tariffs and seat labels ("Балкон: Ряд 6, Место
--   18"), so grouping by it groups by seat. Rows loaded before this migration hold '' until the
--   next full rebuild (the nightly reconciliation, or fact_sales with full_refresh: true).
-- - sales_loads: one row per successful write of fact_sales, so the dashboard can say how fresh
--   its sales are (v_sales_dashboard.sales_updated_at), a run that found nothing new included.
ALTER TABLE {database}.fact_sales
    DROP COLUMN IF EXISTS days_before_show,
    ADD COLUMN IF NOT EXISTS tariff_name LowCardinality(String) COMMENT 'Price category of the ticket: the tariff (multiprice) code the basket carries, e.g. full or preferential, or, in a single-price zone, the zone''s own name (its one tariff), e.g. Детский билет',
    ADD COLUMN IF NOT EXISTS zone_name LowCardinality(String) COMMENT 'Zone of the hall the ticket is in, e.g. Партер or Взрослый билет (a general-admission zone); from the ticket''s label';

CREATE TABLE IF NOT EXISTS {database}.sales_loads
(
    loaded_at     DateTime('UTC') COMMENT 'When a fact_sales load finished writing (UTC)',
    write_mode    LowCardinality(String) COMMENT 'replace (a full rebuild) or upsert (an incremental run)',
    rows_written  UInt64 COMMENT 'Tickets that load wrote; 0 when the API had nothing new or changed'
)
ENGINE = MergeTree
ORDER BY loaded_at;
