"""qtickets-assets: a Dagster asset graph that keeps a ClickHouse mart in step with Qtickets."""
