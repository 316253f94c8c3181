-- One row per event, show and local day with any activity: the tickets paid that day that are
-- still paid now (so their sum over the days equals the dashboard's totals, deleted events
-- included here), the tickets refunded that day, by refund day (whatever happened to them since),
-- and the paid tickets cancelled that day with nothing refunded, by cancellation day (they leave
-- their payment day's tickets_paid and would otherwise appear nowhere). Days are calendar days in
-- the event's own time zone: the loader's _local columns, and for cancellations toString(t, zone),
-- the one conversion that honours a per-row zone. days_before_show follows the show's current
-- start (v_sales' show_date_local).
CREATE OR REPLACE VIEW {database}.v_sales_daily
(
    event_id          UInt64 COMMENT 'Event (deleted events included: sums over all events exceed v_sales_dashboard''s, which lists live events only)',
    event_name        String COMMENT 'Event title',
    city_name         LowCardinality(String) COMMENT 'City of the event',
    show_id           UInt64 COMMENT 'Show',
    show_starts_at    Nullable(DateTime('UTC')) COMMENT 'Show start (UTC); NULL when unknown',
    date_local        Date COMMENT 'Calendar day in the event''s own time zone',
    days_before_show  Nullable(Int32) COMMENT 'The show''s local start date - date_local (negative after the show), from its current start; NULL when the show start is unknown',
    tickets_paid      UInt64 COMMENT 'Places (sum of quantity) of tickets paid that day and still paid now',
    revenue_paid      Decimal(12, 2) COMMENT 'Their price after discount, rubles',
    tickets_refunded  UInt64 COMMENT 'Places of tickets refunded that day',
    amount_refunded   Decimal(12, 2) COMMENT 'Money paid back that day, rubles (refunded_amount)',
    tickets_cancelled UInt64 COMMENT 'Places of paid tickets cancelled that day without a refund (their order or the ticket deleted)',
    amount_cancelled  Decimal(12, 2) COMMENT 'Their price after discount, rubles: paid, not refunded, no longer counted as sold'
)
AS
WITH activity AS
(
    SELECT
        event_id, event_name, city_name, show_id, show_starts_at, show_date_local,
        assumeNotNull(paid_date_local) AS date_local,
        quantity AS paid, price AS revenue, toUInt32(0) AS refunded, toDecimal64(0, 2) AS amount,
        toUInt32(0) AS cancelled, toDecimal64(0, 2) AS amount_lost
    FROM {database}.v_sales
    WHERE status = 'paid'
    UNION ALL
    SELECT
        event_id, event_name, city_name, show_id, show_starts_at, show_date_local,
        assumeNotNull(refunded_date_local) AS date_local,
        toUInt32(0) AS paid, toDecimal64(0, 2) AS revenue, quantity AS refunded, refunded_amount AS amount,
        toUInt32(0) AS cancelled, toDecimal64(0, 2) AS amount_lost
    FROM {database}.v_sales
    WHERE refunded_at IS NOT NULL
    UNION ALL
    SELECT
        event_id, event_name, city_name, show_id, show_starts_at, show_date_local,
        toDate(toString(assumeNotNull(cancelled_at), if(city_timezone = '', 'Europe/Moscow', city_timezone)))
            AS date_local,
        toUInt32(0) AS paid, toDecimal64(0, 2) AS revenue, toUInt32(0) AS refunded, toDecimal64(0, 2) AS amount,
        quantity AS cancelled, price AS amount_lost
    FROM {database}.v_sales
    WHERE status = 'cancelled' AND paid_at IS NOT NULL AND refunded_at IS NULL
)
SELECT
    event_id,
    any(event_name) AS event_name,
    any(city_name) AS city_name,
    show_id,
    any(show_starts_at) AS show_starts_at,
    date_local,
    CAST(dateDiff('day', date_local, any(show_date_local)) AS Nullable(Int32)) AS days_before_show,
    sum(paid) AS tickets_paid,
    CAST(sum(revenue) AS Decimal(12, 2)) AS revenue_paid,
    sum(refunded) AS tickets_refunded,
    CAST(sum(amount) AS Decimal(12, 2)) AS amount_refunded,
    sum(cancelled) AS tickets_cancelled,
    CAST(sum(amount_lost) AS Decimal(12, 2)) AS amount_cancelled
FROM activity
GROUP BY event_id, show_id, date_local;
