-- The sales pace of each live show from its first sale, built from the sales themselves (no
-- inventory history needed, unlike v_sell_through, which starts with the first snapshot): one row
-- per live show (not deleted, of an event not deleted) and local day on which tickets still paid
-- now were paid, with the running total up to that day, against the show's capacity today (the
-- newest inventory snapshot). Days and days_before_show come from v_sales_daily (the event's own
-- time zone, the show's current start). One row per show and day whatever event its tickets'
-- orders name (a ticket for a show of another event than its order's): the event is the show's.
CREATE OR REPLACE VIEW {database}.v_sales_pace
(
    event_id                UInt64 COMMENT 'Event the show belongs to (dim_shows)',
    event_name              String COMMENT 'Event title',
    city_name               LowCardinality(String) COMMENT 'City of the event',
    show_id                 UInt64 COMMENT 'A live show with paid tickets',
    show_starts_at          Nullable(DateTime('UTC')) COMMENT 'Show start (UTC); NULL when unknown',
    date_local              Date COMMENT 'Calendar day of payment, in the event''s own time zone',
    days_before_show        Nullable(Int32) COMMENT 'The show''s local start date - date_local (negative after the show); NULL when the start is unknown',
    tickets_paid            UInt64 COMMENT 'Places of tickets paid that day and still paid now',
    tickets_paid_cumulative UInt64 COMMENT 'Places of tickets still paid now that were paid on or before that day: the pace curve',
    capacity                UInt64 COMMENT 'The show''s capacity today (newest inventory snapshot); 0 before any snapshot',
    share_of_capacity       Nullable(Float64) COMMENT 'tickets_paid_cumulative / capacity; NULL when the capacity is 0'
)
AS
SELECT
    sh.event_id AS event_id,
    e.event_name AS event_name,
    e.city_name AS city_name,
    d.show_id AS show_id,
    d.starts_at AS show_starts_at,
    d.date_local AS date_local,
    d.days_before AS days_before_show,
    d.paid AS tickets_paid,
    toUInt64(sum(d.paid) OVER (PARTITION BY d.show_id ORDER BY d.date_local ROWS UNBOUNDED PRECEDING))
        AS tickets_paid_cumulative,
    toUInt64(i.tickets_total) AS capacity,
    if(capacity = 0, NULL, tickets_paid_cumulative / capacity) AS share_of_capacity
FROM
(
    SELECT
        show_id,
        date_local,
        any(show_starts_at) AS starts_at,
        any(days_before_show) AS days_before,
        toUInt64(sum(tickets_paid)) AS paid
    FROM {database}.v_sales_daily
    WHERE tickets_paid > 0
    GROUP BY show_id, date_local
) AS d
INNER JOIN (SELECT show_id, event_id FROM {database}.dim_shows WHERE is_deleted = 0) AS sh ON d.show_id = sh.show_id
LEFT JOIN (SELECT event_id, event_name, city_name FROM {database}.dim_events FINAL) AS e ON sh.event_id = e.event_id
LEFT JOIN (SELECT show_id, tickets_total FROM {database}.fact_inventory_latest) AS i ON d.show_id = i.show_id;
