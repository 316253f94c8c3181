-- The zone each ticket's _local days were computed in, stored with them: an event can move to a
-- city in another zone (or have its city's zone filled in), and its tickets loaded before then
-- would keep the old zone's days while dim_events, v_sales' city_timezone and the dashboard's
-- "today" follow the new one. Each sales load compares the stored zones with the events' current
-- ones and writes the tickets of an event that moved again, with its new days (the same version:
-- ReplacingMergeTree keeps the last row inserted).
ALTER TABLE {database}.fact_sales
    ADD COLUMN IF NOT EXISTS local_zone LowCardinality(String) COMMENT 'IANA time zone the row''s _local days are in: its event''s city zone when the row was written';

-- The tickets loaded before: labelled with the zone the loader read their days in then, the
-- event's city zone as dim_events holds it (Moscow's for an event it did not know), inside the
-- engine; then merged, so that one row per ticket remains. A no-op on a new mart.
INSERT INTO {database}.fact_sales
SELECT * REPLACE (
    transform(
        event_id,
        (SELECT groupArray(event_id) FROM {database}.dim_events FINAL),
        (SELECT groupArray(toString(city_timezone)) FROM {database}.dim_events FINAL),
        'Europe/Moscow'
    ) AS local_zone
)
-- In a subquery: a WHERE beside REPLACE would read its alias, not the stored column.
FROM (SELECT * FROM {database}.fact_sales FINAL WHERE local_zone = '');

OPTIMIZE TABLE {database}.fact_sales FINAL;
