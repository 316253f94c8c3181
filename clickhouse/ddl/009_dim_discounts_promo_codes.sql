-- Discounts and promo codes, every one the API returns (deleted ones flagged), rebuilt whole on
-- every events load (staging table + EXCHANGE TABLES), so they hold one row per id.
CREATE TABLE IF NOT EXISTS {database}.dim_discounts
(
    discount_id UInt64 COMMENT 'Qtickets discount id',
    name        String COMMENT 'Discount name as the organiser wrote it, e.g. Скидка 15% - Корпорация кубиков (the API has no separate value)',
    type        LowCardinality(String) COMMENT 'Discount type as the API spells it (P on every real row seen: probably a percentage)',
    is_active   UInt8 COMMENT 'Switched on (1) or off (0) in Qtickets',
    active_from Nullable(DateTime('UTC')) COMMENT 'Start of the validity period (UTC); NULL when open',
    active_to   Nullable(DateTime('UTC')) COMMENT 'End of the validity period (UTC); NULL when open',
    is_deleted  UInt8 COMMENT '1 when the discount is deleted in Qtickets (deleted_at set)'
)
ENGINE = MergeTree
ORDER BY discount_id;

CREATE TABLE IF NOT EXISTS {database}.dim_promo_codes
(
    promo_code_id  UInt64 COMMENT 'Qtickets promo code id',
    code           String COMMENT 'The code buyers type, e.g. promo10 or АНГАРСК38',
    discount_id    Nullable(UInt64) COMMENT 'Discount the code grants (dim_discounts.discount_id); NULL when the API gives none',
    is_active      UInt8 COMMENT 'Switched on (1) or off (0) in Qtickets',
    max_uses_count UInt32 COMMENT 'Most uses allowed; 0 = unlimited',
    active_from    Nullable(DateTime('UTC')) COMMENT 'Start of the validity period (UTC); NULL when open',
    active_to      Nullable(DateTime('UTC')) COMMENT 'End of the validity period (UTC); NULL when open',
    is_deleted     UInt8 COMMENT '1 when the promo code is deleted in Qtickets (deleted_at set)'
)
ENGINE = MergeTree
ORDER BY promo_code_id;
