"""A full run (every asset and check, as `dg launch --assets '*'`) opens the mart once."""


def test_a_full_run_opens_the_mart_once(clean_mart, clean_mart_client_opens):
    # Every step (its checks included) and IO manager write shares the run's one client
    # (lib/clickhouse/resource.py); it was ~27 opens of ~80 ms each.
    _, directory = clean_mart
    assert clean_mart_client_opens == [f"chdb://{directory}"]
