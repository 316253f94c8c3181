-- Attendance: one row per live show (not deleted, of an event not deleted), and per deleted show
-- that still has paid tickets (is_deleted = 1: its buyers may still come, or need their money
-- back): its capacity, the tickets paid for it and how many of them were scanned at the
-- entrance, first and last scan. A show with paid tickets that its event no longer lists (the
-- API may leave a deleted show out of `shows`) is listed as deleted, its start unknown; so is,
-- until the next events load (inventory_job, every 15 minutes), a show created since the last one
-- whose first sales already arrived, and a show of an event the API no longer lists at all (its
-- name and city then read '').
-- Scans reach the mart with the order's update (see the README on how fresh they are).
CREATE OR REPLACE VIEW {database}.v_show_attendance
(
    event_id        UInt64 COMMENT 'Event',
    event_name      String COMMENT 'Event title ('''' when the API no longer lists the event)',
    city_name       LowCardinality(String) COMMENT 'City of the event ('''' when the API no longer lists the event)',
    show_id         UInt64 COMMENT 'A live show, or a deleted one with paid tickets',
    is_deleted      UInt8 COMMENT '1 when the show or its event is deleted in Qtickets, or its event no longer lists it (listed because it has paid tickets; a show created since the last events load reads 1 until the next)',
    show_starts_at  Nullable(DateTime('UTC')) COMMENT 'Show start (UTC); NULL when unknown',
    capacity        UInt64 COMMENT 'Capacity in the newest inventory snapshot; 0 before any snapshot and for a deleted show (not inventoried)',
    tickets_paid    UInt64 COMMENT 'Places of tickets paid for the show (status paid)',
    tickets_scanned UInt64 COMMENT 'Places of those paid tickets scanned at the entrance',
    share_scanned   Nullable(Float64) COMMENT 'tickets_scanned / tickets_paid (0..1); NULL when nothing is paid',
    first_scan_at   Nullable(DateTime('UTC')) COMMENT 'First scan of a paid ticket (UTC); NULL when none',
    last_scan_at    Nullable(DateTime('UTC')) COMMENT 'Last scan of a paid ticket (UTC); NULL when none'
)
AS
SELECT
    sh.event_id AS event_id,
    e.event_name AS event_name,
    e.city_name AS city_name,
    sh.show_id AS show_id,
    sh.is_deleted AS is_deleted,
    sh.starts_at AS show_starts_at,
    toUInt64(i.tickets_total) AS capacity,
    toUInt64(a.paid) AS tickets_paid,
    toUInt64(a.scanned) AS tickets_scanned,
    if(a.paid = 0, NULL, a.scanned / a.paid) AS share_scanned,
    a.first_scan_at AS first_scan_at,
    a.last_scan_at AS last_scan_at
FROM
(
    SELECT show_id, event_id, is_deleted, starts_at FROM {database}.dim_shows
    UNION ALL
    SELECT show_id, any(event_id), toUInt8(1), CAST(NULL AS Nullable(DateTime('UTC')))
    FROM {database}.fact_sales FINAL
    WHERE status = 'paid' AND show_id NOT IN (SELECT show_id FROM {database}.dim_shows)
    GROUP BY show_id
) AS sh
LEFT JOIN (SELECT event_id, event_name, city_name FROM {database}.dim_events FINAL) AS e
    ON sh.event_id = e.event_id
LEFT JOIN (SELECT show_id, tickets_total FROM {database}.fact_inventory_latest) AS i ON sh.show_id = i.show_id
LEFT JOIN
(
    SELECT
        show_id,
        sum(quantity) AS paid,
        sumIf(quantity, checked_at IS NOT NULL) AS scanned,
        min(checked_at) AS first_scan_at,
        max(checked_at) AS last_scan_at
    FROM {database}.fact_sales FINAL
    WHERE status = 'paid'
    GROUP BY show_id
) AS a ON sh.show_id = a.show_id
WHERE sh.is_deleted = 0 OR a.paid > 0;
