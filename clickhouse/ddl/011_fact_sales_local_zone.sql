-- The zone each ticket's _local days were computed in, stored with them: an event can move to a
-- city in another zone (or have its city's zone filled in), and its tickets loaded before then
-- would keep the old zone's days while dim_events, v_sales' city_timezone and the dashboard's
-- "today" follow the new one. Each sales load compares the stored zones with the events' current
-- ones and writes the tickets of an event that moved again, with its new days (the same version:
-- ReplacingMergeTree keeps the last row inserted).
-- Rows loaded before this migration hold '' (unknown: not compared) until the next full rebuild
-- (the nightly reconciliation, or fact_sales with full_refresh: true).
ALTER TABLE {database}.fact_sales
    ADD COLUMN IF NOT EXISTS local_zone LowCardinality(String) COMMENT 'IANA time zone the row''s _local days are in: its event''s city zone when the row was written ('''' for rows loaded before this column, until the next full rebuild)';
