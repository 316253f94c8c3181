-- Users of a ClickHouse server (chDB has no users). Applied by
--   CLICKHOUSE_URL=https://admin:...@host:8443 CLICKHOUSE_ETL_PASSWORD=... CLICKHOUSE_READER_PASSWORD=... \
--   python -m qtickets_assets.lib.clickhouse.rbac
-- Idempotent: re-running sets the passwords again (rotation) and re-asserts the grants.
-- Only SHA-256 hashes of the passwords are sent ({..._sha256} is filled in by the command).

-- The loader: owns everything in the mart database (creates, exchanges, optimizes, inserts).
CREATE USER IF NOT EXISTS etl_writer IDENTIFIED WITH sha256_hash BY '{etl_password_sha256}';
ALTER USER etl_writer IDENTIFIED WITH sha256_hash BY '{etl_password_sha256}';
GRANT ALL ON {database}.* TO etl_writer;

-- Dashboards (DataLens, Superset): SELECT on the mart only. readonly = 2 forbids any write or DDL
-- while still letting the BI tool set query settings such as max_execution_time.
CREATE USER IF NOT EXISTS datalens_reader IDENTIFIED WITH sha256_hash BY '{reader_password_sha256}'
    SETTINGS readonly = 2;
ALTER USER datalens_reader IDENTIFIED WITH sha256_hash BY '{reader_password_sha256}' SETTINGS readonly = 2;
REVOKE ALL ON *.* FROM datalens_reader;
GRANT SELECT ON {database}.* TO datalens_reader;
