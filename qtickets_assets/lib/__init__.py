"""Library code with no Dagster wiring: the Qtickets API client and the ClickHouse storage layer."""
