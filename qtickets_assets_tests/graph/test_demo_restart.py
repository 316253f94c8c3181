"""`make demo` twice (or `make demo` then `make dev`) on one data directory: the restarted sandbox
serves the same world, so the mart's incremental run after the restart is still exact."""

import json

from qtickets_assets.demo import demo_sandbox, sandbox_state_path
from qtickets_assets_tests.graph.mart import materialize_all
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth


def test_a_restarted_demo_sandbox_keeps_the_world_and_the_mart_stays_exact(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    environment = {"CLICKHOUSE_URL": url}
    with demo_sandbox(environment) as sandbox:
        # Moved on as `make dev` suggests (curl .../_sandbox/advance), then loaded in full.
        sandbox.advance(new_orders=20, refunds=3, cancellations=2, scans=10)
        first_world, first_token = sandbox.world, sandbox.token
        assert materialize_all(sandbox.base_url, sandbox.token, url).success
    state = json.loads(sandbox_state_path(url).read_text())
    assert state["seed"] == 7 and len(state["advances"]) == 1
    assert sandbox_state_path(url) == tmp_path / "ch.sandbox.json"

    with demo_sandbox(environment) as sandbox:  # the next start: a new sandbox, the same world
        assert sandbox.token != first_token and sandbox.world.anchor == first_world.anchor
        assert [o.id for o in sandbox.world.orders] == [o.id for o in first_world.orders]
        sandbox.advance(new_orders=5, refunds=2)
        result = materialize_all(sandbox.base_url, sandbox.token, url)
        assert result.success
        [sales] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["fact_sales"]]
        assert sales.materialization.metadata["write_mode"].value == "upsert", "an incremental run"
        assert_mart_equals_truth(url, sandbox.truth)
