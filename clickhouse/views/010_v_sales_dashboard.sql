-- The dashboard: one row per event of dim_events that is not deleted. Its totals are live events
-- only: paid tickets of deleted events are in v_sales_daily (all events), whose sums are larger.
-- Exact whatever the state of merges: fact_sales and dim_events are read with FINAL, and
-- fact_inventory_latest holds one row per show by construction (rebuilt and swapped whole).
-- "today" and "14d" are calendar days in the event's own city_timezone. ClickHouse's date
-- functions need a constant zone (allow_nonconst_timezone_arguments silently uses the first
-- row's zone for the whole column), so the view computes, per event, the UTC instants of local
-- midnight "today" and 13 days earlier, and compares paid_at with them: two comparisons per sale.
-- toString(t, zone) is the one conversion that honours a per-row zone; parsing its local text
-- back as UTC gives the zone's offset at t, and applying it twice is exact across DST changes.
-- Where the clocks jump over local midnight (Havana, Santiago), the day starts at the jump: the
-- second guess then falls on the day before, and the first is the day's first instant.
-- The typed column list is the view's contract (and what Dagster shows as its column schema,
-- COMMENTs as column descriptions).
CREATE OR REPLACE VIEW {database}.v_sales_dashboard
(
    event_id             UInt64 COMMENT 'Event (dim_events.event_id); one row per event that is not deleted',
    event_name           String COMMENT 'Event title',
    city_name            LowCardinality(String) COMMENT 'City of the event',
    tickets_sold_total   UInt64 COMMENT 'Paid tickets (sum of quantity over status paid), ever (0 when none); summed over this view: live events only',
    revenue_total        Decimal(12, 2) COMMENT 'Revenue of those tickets (sum of price), rubles (0 when none)',
    tickets_sold_today   UInt64 COMMENT 'Paid tickets paid today, a calendar day in the event''s own time zone',
    revenue_today        Decimal(12, 2) COMMENT 'Revenue of the tickets paid today (event''s own time zone), rubles',
    tickets_sold_14d     UInt64 COMMENT 'Paid tickets paid over the last 14 calendar days, today included (event''s own time zone)',
    revenue_14d          Decimal(12, 2) COMMENT 'Revenue of the tickets paid over the last 14 calendar days, rubles',
    tickets_total        UInt64 COMMENT 'Capacity summed over the event''s live shows (newest inventory snapshot); 0 before any snapshot',
    tickets_left         UInt64 COMMENT 'Places still free over the event''s live shows (newest snapshot); 0 before any snapshot',
    inventory_updated_at Nullable(DateTime('UTC')) COMMENT 'When the newest inventory snapshot was taken (UTC); NULL before any snapshot',
    sales_updated_at     Nullable(DateTime('UTC')) COMMENT 'When the last successful sales load finished (UTC; sales_loads), one that found nothing new included: the sales columns are as of then; NULL before any'
)
AS
WITH
    events AS
    (
        SELECT
            event_id,
            event_name,
            city_name,
            toDateTime(toDate(toString(now(), city_timezone)), 'UTC') AS today_naive,
            today_naive - (toDateTime(toString(today_naive, city_timezone), 'UTC') - today_naive) AS guess_today,
            today_naive - (toDateTime(toString(guess_today, city_timezone), 'UTC') - guess_today) AS today_first,
            if(toDate(toString(today_first, city_timezone)) = toDate(today_naive), today_first, guess_today) AS today_start,
            today_naive - toIntervalDay(13) AS d14_naive,
            d14_naive - (toDateTime(toString(d14_naive, city_timezone), 'UTC') - d14_naive) AS guess_d14,
            d14_naive - (toDateTime(toString(guess_d14, city_timezone), 'UTC') - guess_d14) AS d14_first,
            if(toDate(toString(d14_first, city_timezone)) = toDate(d14_naive), d14_first, guess_d14) AS d14_start
        FROM {database}.dim_events FINAL
        WHERE is_deleted = 0
    ),
    sales AS
    (
        SELECT
            s.event_id AS event_id,
            sum(s.quantity) AS tickets_sold_total,
            sum(s.price) AS revenue_total,
            sumIf(s.quantity, s.paid_at >= e.today_start) AS tickets_sold_today,
            sumIf(s.price, s.paid_at >= e.today_start) AS revenue_today,
            sumIf(s.quantity, s.paid_at >= e.d14_start) AS tickets_sold_14d,
            sumIf(s.price, s.paid_at >= e.d14_start) AS revenue_14d
        FROM
        (
            SELECT event_id, assumeNotNull(paid_at) AS paid_at, quantity, price
            FROM {database}.fact_sales FINAL
            WHERE status = 'paid'
        ) AS s
        INNER JOIN events AS e ON s.event_id = e.event_id
        GROUP BY s.event_id
    ),
    inventory AS
    (
        SELECT
            event_id,
            sum(tickets_total) AS tickets_total,
            sum(tickets_left) AS tickets_left,
            CAST(max(snapshot_at) AS Nullable(DateTime('UTC'))) AS inventory_updated_at
        FROM {database}.fact_inventory_latest
        GROUP BY event_id
    )
SELECT
    e.event_id AS event_id,
    e.event_name AS event_name,
    e.city_name AS city_name,
    s.tickets_sold_total AS tickets_sold_total,
    CAST(s.revenue_total AS Decimal(12, 2)) AS revenue_total,
    s.tickets_sold_today AS tickets_sold_today,
    CAST(s.revenue_today AS Decimal(12, 2)) AS revenue_today,
    s.tickets_sold_14d AS tickets_sold_14d,
    CAST(s.revenue_14d AS Decimal(12, 2)) AS revenue_14d,
    i.tickets_total AS tickets_total,
    i.tickets_left AS tickets_left,
    i.inventory_updated_at AS inventory_updated_at,
    (SELECT maxOrNull(loaded_at) FROM {database}.sales_loads) AS sales_updated_at
FROM events AS e
LEFT JOIN sales AS s ON e.event_id = s.event_id
LEFT JOIN inventory AS i ON e.event_id = i.event_id;
