"""ClickHouse storage: connection (embedded chDB or server), DDL migrations, the IO manager."""
