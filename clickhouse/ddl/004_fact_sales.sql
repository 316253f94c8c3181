-- One row per ticket (basket) of every order; no personal data.
-- ReplacingMergeTree(updated_at) ORDER BY basket_id: a basket re-read after a payment, refund or
-- cancellation replaces its older version (updated_at = max of order and basket updated_at), so
-- incremental loads never double count. The IO manager's upsert runs OPTIMIZE ... FINAL after
-- inserting so a plain SELECT is duplicate-free; the dashboard view still reads with FINAL.
CREATE TABLE IF NOT EXISTS {database}.fact_sales
(
    basket_id    UInt64,
    order_id     UInt64,
    event_id     UInt64,
    show_id      UInt64,
    created_at   DateTime('UTC'),
    paid_at      Nullable(DateTime('UTC')),
    status       LowCardinality(String),
    quantity     UInt32,
    price        Decimal(12, 2),
    currency     LowCardinality(String),
    utm_source   LowCardinality(String),
    utm_medium   LowCardinality(String),
    utm_campaign String,
    updated_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY basket_id;
