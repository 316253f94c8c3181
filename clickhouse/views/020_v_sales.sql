-- One row per ticket, ready for a BI tool as one dataset: every fact_sales column (its newest
-- version: FINAL), with what an analyst would otherwise join: the event, its city and venue, the
-- show's start, the promo code's text and the discount's name. Nothing to deduplicate or join.
-- The show's local start is a Date and an 'HH:MM' text: a DateTime holding local digits would be
-- shifted into the viewer's zone by DataLens and Superset. days_before_show is derived here from
-- the show's current start (dim_shows), so a postponed show moves it for every ticket at once.
-- toString(t, zone) is the one conversion that honours a per-row zone.
CREATE OR REPLACE VIEW {database}.v_sales
(
    basket_id            UInt64 COMMENT 'Ticket (basket) id: one row per ticket',
    order_id             UInt64 COMMENT 'Order the ticket belongs to',
    event_id             UInt64 COMMENT 'Event of the order',
    show_id              UInt64 COMMENT 'Show the ticket is for',
    created_at           DateTime('UTC') COMMENT 'When the ticket was put in the basket (UTC)',
    paid_at              Nullable(DateTime('UTC')) COMMENT 'When the order was paid (UTC); NULL when not paid',
    status               LowCardinality(String) COMMENT 'paid, unpaid, cancelled or refunded; only paid counts as sold',
    quantity             UInt32 COMMENT 'Places the ticket holds',
    price                Decimal(12, 2) COMMENT 'Price paid after discount, rubles',
    currency             LowCardinality(String) COMMENT 'Currency of the amounts, e.g. RUB',
    utm_source           LowCardinality(String) COMMENT 'utm_source of the order; '''' when none',
    utm_medium           LowCardinality(String) COMMENT 'utm_medium of the order; '''' when none',
    utm_campaign         String COMMENT 'utm_campaign of the order; '''' when none',
    updated_at           DateTime('UTC') COMMENT 'Last change of the order or the ticket (UTC)',
    original_price       Decimal(12, 2) COMMENT 'Price before discount, rubles',
    discount_amount      Decimal(12, 2) COMMENT 'original_price - price, rubles; 0 when not discounted',
    service_fee          Decimal(12, 2) COMMENT 'Service fee on the ticket, rubles; 0 when none',
    discount_id          Nullable(UInt64) COMMENT 'Discount of the order; NULL when none',
    promo_code_id        Nullable(UInt64) COMMENT 'Promo code of the order; NULL when none',
    ticket_name          LowCardinality(String) COMMENT 'Tariff or seat label of the ticket, e.g. Балкон: Ряд 6, Место 18 (group by tariff_name or zone_name instead)',
    payment_type         LowCardinality(String) COMMENT 'How the order was paid; '''' when none',
    site_host            LowCardinality(String) COMMENT 'Site the order was placed on; '''' for the backend or box office',
    utm_content          String COMMENT 'utm_content of the order; '''' when none',
    utm_term             String COMMENT 'utm_term of the order; '''' when none',
    refunded_at          Nullable(DateTime('UTC')) COMMENT 'When the ticket was refunded (UTC); NULL when not',
    refunded_amount      Decimal(12, 2) COMMENT 'Money paid back for the ticket, rubles; 0 when not refunded',
    cancelled_at         Nullable(DateTime('UTC')) COMMENT 'When the ticket or its order was deleted (UTC); NULL when neither',
    checked_at           Nullable(DateTime('UTC')) COMMENT 'When the ticket was scanned at the entrance (UTC); NULL when not',
    created_date_local   Date COMMENT 'Day the ticket was put in the basket, in the event''s time zone',
    paid_date_local      Nullable(Date) COMMENT 'Day the order was paid, in the event''s time zone; NULL when not paid',
    refunded_date_local  Nullable(Date) COMMENT 'Day the ticket was refunded, in the event''s time zone; NULL when not',
    tariff_name          LowCardinality(String) COMMENT 'Price category: the tariff (multiprice) code, e.g. full or preferential, or a single-price zone''s own name, e.g. Детский билет',
    zone_name            LowCardinality(String) COMMENT 'Zone of the hall, e.g. Партер, or a general-admission zone''s name',
    days_before_show     Nullable(Int32) COMMENT 'show_date_local - paid_date_local, from the show''s current start (0 = paid on the day); NULL when not paid or the start is unknown',
    event_name           String COMMENT 'Event title; '''' when the event is not (yet) in dim_events',
    city_name            LowCardinality(String) COMMENT 'City of the event',
    city_timezone        LowCardinality(String) COMMENT 'IANA time zone of the city: the zone of every _local column',
    venue_name           String COMMENT 'Venue of the event',
    show_starts_at       Nullable(DateTime('UTC')) COMMENT 'Show start (UTC); NULL when unknown',
    show_date_local      Nullable(Date) COMMENT 'Day the show starts, in the event''s time zone; NULL when unknown',
    show_time_local      Nullable(String) COMMENT 'Time the show starts on the city''s clock, HH:MM (text: no BI tool shifts it); NULL when unknown',
    promo_code           String COMMENT 'The promo code''s text; '''' when none or not in dim_promo_codes',
    discount_name        String COMMENT 'The discount''s name; '''' when none or not in dim_discounts'
)
AS
WITH toString(sh.starts_at, if(e.city_timezone = '', 'Europe/Moscow', e.city_timezone)) AS show_start_text
SELECT
    s.basket_id AS basket_id, s.order_id AS order_id, s.event_id AS event_id, s.show_id AS show_id,
    s.created_at AS created_at, s.paid_at AS paid_at, s.status AS status, s.quantity AS quantity,
    s.price AS price, s.currency AS currency, s.utm_source AS utm_source, s.utm_medium AS utm_medium,
    s.utm_campaign AS utm_campaign, s.updated_at AS updated_at, s.original_price AS original_price,
    s.discount_amount AS discount_amount, s.service_fee AS service_fee, s.discount_id AS discount_id,
    s.promo_code_id AS promo_code_id, s.ticket_name AS ticket_name, s.payment_type AS payment_type,
    s.site_host AS site_host, s.utm_content AS utm_content, s.utm_term AS utm_term,
    s.refunded_at AS refunded_at, s.refunded_amount AS refunded_amount, s.cancelled_at AS cancelled_at,
    s.checked_at AS checked_at, s.created_date_local AS created_date_local,
    s.paid_date_local AS paid_date_local, s.refunded_date_local AS refunded_date_local,
    s.tariff_name AS tariff_name, s.zone_name AS zone_name,
    CAST(dateDiff('day', s.paid_date_local, show_date_local) AS Nullable(Int32)) AS days_before_show,
    e.event_name AS event_name,
    e.city_name AS city_name,
    e.city_timezone AS city_timezone,
    e.venue_name AS venue_name,
    sh.starts_at AS show_starts_at,
    toDate(show_start_text) AS show_date_local,
    substring(show_start_text, 12, 5) AS show_time_local,
    p.code AS promo_code,
    d.name AS discount_name
FROM {database}.fact_sales AS s FINAL
LEFT JOIN
(
    SELECT event_id, event_name, city_name, city_timezone, venue_name FROM {database}.dim_events FINAL
) AS e ON s.event_id = e.event_id
LEFT JOIN (SELECT show_id, starts_at FROM {database}.dim_shows) AS sh ON s.show_id = sh.show_id
LEFT JOIN (SELECT promo_code_id, code FROM {database}.dim_promo_codes) AS p ON s.promo_code_id = p.promo_code_id
LEFT JOIN (SELECT discount_id, name FROM {database}.dim_discounts) AS d ON s.discount_id = d.discount_id;
