-- What every column holds, as ClickHouse COMMENTs: analysts see them in system.columns (and in
-- DataLens/Superset), operators as the column descriptions of the Dagster UI (read from here).
-- Times are UTC unless a name says _local; money is rubles with kopecks, Decimal(12, 2).
ALTER TABLE {database}.schema_migrations
    COMMENT COLUMN name 'DDL file applied, e.g. 001_dim_events.sql',
    COMMENT COLUMN checksum 'SHA-256 of the file as applied; an applied file must never change',
    COMMENT COLUMN applied_at 'When the file was applied (UTC)';

ALTER TABLE {database}.dim_events
    COMMENT COLUMN event_id 'Qtickets event id',
    COMMENT COLUMN event_name 'Event title as the API spells it (Russian when the cabinet is multilingual)',
    COMMENT COLUMN city_id 'Qtickets city id (0 when the event has no city)',
    COMMENT COLUMN city_name 'City as the API spells it, e.g. Томск ('''' when the event has no city)',
    COMMENT COLUMN city_timezone 'IANA time zone of the city, e.g. Asia/Krasnoyarsk; Europe/Moscow when the API gives none or an unknown one. The _local columns and "today" use it',
    COMMENT COLUMN venue_name 'Venue (place_name); '''' for an event without one',
    COMMENT COLUMN venue_address 'Venue address (place_address); '''' for an event without one',
    COMMENT COLUMN starts_at 'First start over the event''s shows that are not deleted (UTC); NULL when it has none',
    COMMENT COLUMN ends_at 'Last end over the event''s shows that are not deleted (UTC); NULL when it has none',
    COMMENT COLUMN is_active 'Sales switched on in Qtickets (1) or off (0); an inactive event may still hold sales',
    COMMENT COLUMN is_deleted '1 when the event is deleted in Qtickets (deleted_at set); kept, never removed',
    COMMENT COLUMN updated_at 'When Qtickets last changed the event (UTC)';

ALTER TABLE {database}.dim_shows
    COMMENT COLUMN show_id 'Qtickets show id (one session of an event)',
    COMMENT COLUMN event_id 'Event the show belongs to (dim_events.event_id)',
    COMMENT COLUMN starts_at 'Show start (UTC); NULL when the API gives none',
    COMMENT COLUMN ends_at 'Show end (UTC); NULL when the API gives none',
    COMMENT COLUMN is_active 'Sales for the show switched on (1) or off (0); 0 often only means sales closed',
    COMMENT COLUMN is_deleted '1 when the show or its event is deleted in Qtickets',
    COMMENT COLUMN updated_at 'When Qtickets last changed the show (UTC); NULL when the API gives none';

ALTER TABLE {database}.inventory_raw
    COMMENT COLUMN snapshot_at 'When the seat snapshot was taken (UTC); one value per snapshot, shared by every show in it',
    COMMENT COLUMN event_id 'Event of the show (dim_events.event_id)',
    COMMENT COLUMN show_id 'Show whose seats were counted (dim_shows.show_id)',
    COMMENT COLUMN show_starts_at 'Show start (UTC) at the time of the snapshot; NULL when the API gives none',
    COMMENT COLUMN tickets_total 'Capacity: sum of max_quantity over seats not disabled, each physical seat (root_id) once whatever its tariffs',
    COMMENT COLUMN tickets_left 'Places still free: the same sum of free_quantity',
    COMMENT COLUMN tickets_sold 'tickets_total - tickets_left: places taken by paid tickets and live reservations';

ALTER TABLE {database}.fact_inventory_latest
    COMMENT COLUMN event_id 'Event of the show (dim_events.event_id)',
    COMMENT COLUMN show_id 'A show that is not deleted, of an event that is not deleted',
    COMMENT COLUMN show_starts_at 'Show start (UTC); NULL when the API gives none',
    COMMENT COLUMN tickets_total 'Capacity in the newest snapshot: sum of max_quantity over seats not disabled, each physical seat (root_id) once',
    COMMENT COLUMN tickets_left 'Places still free in the newest snapshot: the same sum of free_quantity',
    COMMENT COLUMN tickets_sold 'tickets_total - tickets_left in the newest snapshot',
    COMMENT COLUMN snapshot_at 'When the newest snapshot was taken (UTC)';

ALTER TABLE {database}.fact_sales
    COMMENT COLUMN basket_id 'Qtickets basket id: one row per ticket',
    COMMENT COLUMN order_id 'Order the ticket belongs to',
    COMMENT COLUMN event_id 'Event of the order (dim_events.event_id)',
    COMMENT COLUMN show_id 'Show the ticket is for (dim_shows.show_id)',
    COMMENT COLUMN created_at 'When the ticket was put in the basket (UTC)',
    COMMENT COLUMN paid_at 'When the order was paid (UTC); NULL when it is not paid',
    COMMENT COLUMN status 'paid, unpaid, cancelled (the ticket or its order deleted) or refunded (the ticket refunded); only paid counts as sold',
    COMMENT COLUMN quantity 'Places the ticket holds (1, or more in a general-admission zone)',
    COMMENT COLUMN price 'Price paid for the ticket after discount, rubles',
    COMMENT COLUMN currency 'Currency of price, e.g. RUB',
    COMMENT COLUMN utm_source 'utm_source of the order; '''' when none',
    COMMENT COLUMN utm_medium 'utm_medium of the order; '''' when none',
    COMMENT COLUMN utm_campaign 'utm_campaign of the order; '''' when none',
    COMMENT COLUMN updated_at 'Version: the later of the order''s and the ticket''s last change (UTC); the newest version of a basket_id wins';
