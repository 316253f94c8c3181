-- The marketing view: tickets paid (and still paid) and their revenue per event and local day of
-- payment, by where the buyer came from and how they paid: UTM source, medium and campaign, promo
-- code, payment type and site.
CREATE OR REPLACE VIEW {database}.v_sales_by_source
(
    event_id     UInt64 COMMENT 'Event',
    event_name   String COMMENT 'Event title',
    city_name    LowCardinality(String) COMMENT 'City of the event',
    date_local   Date COMMENT 'Calendar day of payment, in the event''s own time zone',
    utm_source   LowCardinality(String) COMMENT 'utm_source of the orders; '''' when none',
    utm_medium   LowCardinality(String) COMMENT 'utm_medium of the orders; '''' when none',
    utm_campaign String COMMENT 'utm_campaign of the orders; '''' when none',
    promo_code   String COMMENT 'Promo code text; '''' when none',
    payment_type LowCardinality(String) COMMENT 'How the orders were paid; '''' when none',
    site_host    LowCardinality(String) COMMENT 'Site the orders were placed on; '''' for the backend or box office',
    tickets_paid UInt64 COMMENT 'Places of the tickets paid that day and still paid now',
    revenue_paid Decimal(12, 2) COMMENT 'Their price after discount, rubles'
)
AS
SELECT
    event_id,
    any(event_name) AS event_name,
    any(city_name) AS city_name,
    assumeNotNull(paid_date_local) AS date_local,
    utm_source,
    utm_medium,
    utm_campaign,
    promo_code,
    payment_type,
    site_host,
    sum(quantity) AS tickets_paid,
    CAST(sum(price) AS Decimal(12, 2)) AS revenue_paid
FROM {database}.v_sales
WHERE status = 'paid'
GROUP BY event_id, date_local, utm_source, utm_medium, utm_campaign, promo_code, payment_type, site_host;
