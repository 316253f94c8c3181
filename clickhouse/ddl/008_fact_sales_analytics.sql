-- The analytics layer's columns of fact_sales, all from fields every order and basket carries.
-- Added at the end (no AFTER): the column order is the DDL's, which the schema checks compare.
-- Rows loaded before this migration hold the defaults (0, '', NULL, 1970-01-01) until the next
-- full rebuild (the nightly reconciliation, or fact_sales with full_refresh: true).
-- The _local dates are computed by the loader in each event's own city_timezone: ClickHouse's
-- toDate(toTimeZone(t, zone_column)) silently uses one zone for the whole column.
ALTER TABLE {database}.fact_sales
    ADD COLUMN IF NOT EXISTS original_price Decimal(12, 2) COMMENT 'Ticket price before discount, rubles (the price itself when the API gives none)',
    ADD COLUMN IF NOT EXISTS discount_amount Decimal(12, 2) COMMENT 'Discount on the ticket, rubles: original_price - price; 0 when none',
    ADD COLUMN IF NOT EXISTS service_fee Decimal(12, 2) COMMENT 'Service fee charged on the ticket, rubles; 0 when none',
    ADD COLUMN IF NOT EXISTS discount_id Nullable(UInt64) COMMENT 'Discount applied to the order (dim_discounts.discount_id); NULL when none',
    ADD COLUMN IF NOT EXISTS promo_code_id Nullable(UInt64) COMMENT 'Promo code entered with the order (dim_promo_codes.promo_code_id); NULL when none',
    ADD COLUMN IF NOT EXISTS ticket_name LowCardinality(String) COMMENT 'Tariff or seat label of the ticket (the basket''s seat_name), e.g. Детский билет or Партер: Ряд 1, Место 6',
    ADD COLUMN IF NOT EXISTS payment_type LowCardinality(String) COMMENT 'How the order was paid (payment_type_id: card, sbp, pushka_card, a receiver id...); '''' when none',
    ADD COLUMN IF NOT EXISTS site_host LowCardinality(String) COMMENT 'Host of the site the order was placed on; '''' for an order made in the backend or box office',
    ADD COLUMN IF NOT EXISTS utm_content String COMMENT 'utm_content of the order; '''' when none',
    ADD COLUMN IF NOT EXISTS utm_term String COMMENT 'utm_term of the order; '''' when none',
    ADD COLUMN IF NOT EXISTS refunded_at Nullable(DateTime('UTC')) COMMENT 'When the ticket was refunded (UTC); NULL when it was not',
    ADD COLUMN IF NOT EXISTS refunded_amount Decimal(12, 2) COMMENT 'Money paid back for the ticket, rubles (its price less any deduction); 0 when not refunded',
    ADD COLUMN IF NOT EXISTS cancelled_at Nullable(DateTime('UTC')) COMMENT 'When the ticket or else its order was deleted (UTC: the basket''s deleted_at, else the order''s); NULL when neither',
    ADD COLUMN IF NOT EXISTS checked_at Nullable(DateTime('UTC')) COMMENT 'When the ticket was scanned at the entrance (UTC); NULL when not scanned',
    ADD COLUMN IF NOT EXISTS created_date_local Date COMMENT 'Calendar day the ticket was put in the basket, in the event''s own time zone',
    ADD COLUMN IF NOT EXISTS paid_date_local Nullable(Date) COMMENT 'Calendar day the order was paid, in the event''s own time zone; NULL when not paid',
    ADD COLUMN IF NOT EXISTS refunded_date_local Nullable(Date) COMMENT 'Calendar day the ticket was refunded, in the event''s own time zone; NULL when not refunded',
    ADD COLUMN IF NOT EXISTS days_before_show Nullable(Int32) COMMENT 'Days from payment to the show: the show''s local start date - paid_date_local (0 = paid on the day); NULL when not paid or the show has no start';
