-- The sell-through curve an organiser watches before a show: one row per live show (not deleted,
-- of an event not deleted) and local day that has an inventory snapshot, from the day's last one.
-- The snapshot's day is taken in the event's own time zone; toString(t, zone) is the one
-- conversion that honours a per-row zone (toTimeZone with a zone column silently uses one).
-- The event is the show's as dim_shows has it now, not the one a snapshot recorded: a show moved
-- to another event keeps one row a day (its older snapshots named the old event).
CREATE OR REPLACE VIEW {database}.v_sell_through
(
    event_id         UInt64 COMMENT 'Event the show belongs to now (dim_shows)',
    event_name       String COMMENT 'Event title',
    city_name        LowCardinality(String) COMMENT 'City of the event',
    show_id          UInt64 COMMENT 'A live show',
    show_starts_at   Nullable(DateTime('UTC')) COMMENT 'Show start (UTC); NULL when unknown',
    date_local       Date COMMENT 'Calendar day of the snapshot, in the event''s own time zone',
    snapshot_at      DateTime('UTC') COMMENT 'The day''s last snapshot (UTC), whose figures this row holds',
    tickets_total    UInt32 COMMENT 'Capacity in that snapshot',
    tickets_sold     UInt32 COMMENT 'Places taken in that snapshot (tickets_total - tickets_left)',
    tickets_left     UInt32 COMMENT 'Places still free in that snapshot',
    share_sold       Nullable(Float64) COMMENT 'tickets_sold / tickets_total (0..1); NULL when the capacity is 0',
    days_before_show Nullable(Int32) COMMENT 'The show''s local start date - date_local (negative after the show); NULL when the show start is unknown'
)
AS
WITH
    shows AS
    (
        SELECT
            sh.show_id AS show_id,
            sh.event_id AS event_id,
            sh.starts_at AS starts_at,
            e.event_name AS event_name,
            e.city_name AS city_name,
            e.city_timezone AS zone
        FROM {database}.dim_shows AS sh
        INNER JOIN (SELECT * FROM {database}.dim_events FINAL) AS e ON sh.event_id = e.event_id
        WHERE sh.is_deleted = 0
    ),
    snapshots AS
    (
        SELECT
            r.show_id AS show_id,
            toDate(toString(r.snapshot_at, s.zone)) AS date_local,
            r.snapshot_at AS snapshot_at,
            r.tickets_total AS tickets_total,
            r.tickets_sold AS tickets_sold,
            r.tickets_left AS tickets_left
        FROM {database}.inventory_raw AS r FINAL
        INNER JOIN shows AS s ON r.show_id = s.show_id
    )
SELECT
    s.event_id AS event_id,
    s.event_name AS event_name,
    s.city_name AS city_name,
    d.show_id AS show_id,
    s.starts_at AS show_starts_at,
    d.date_local AS date_local,
    d.last_snapshot_at AS snapshot_at,
    d.tickets_total AS tickets_total,
    d.tickets_sold AS tickets_sold,
    d.tickets_left AS tickets_left,
    if(d.tickets_total = 0, NULL, d.tickets_sold / d.tickets_total) AS share_sold,
    CAST(dateDiff('day', d.date_local, toDate(toString(s.starts_at, s.zone))) AS Nullable(Int32)) AS days_before_show
FROM
(
    SELECT
        show_id,
        date_local,
        max(snapshot_at) AS last_snapshot_at,
        argMax(tickets_total, snapshot_at) AS tickets_total,
        argMax(tickets_sold, snapshot_at) AS tickets_sold,
        argMax(tickets_left, snapshot_at) AS tickets_left
    FROM snapshots
    GROUP BY show_id, date_local
) AS d
INNER JOIN shows AS s ON d.show_id = s.show_id;
